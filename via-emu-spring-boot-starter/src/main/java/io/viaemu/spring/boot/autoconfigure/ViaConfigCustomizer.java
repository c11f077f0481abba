package io.viaemu.spring.boot.autoconfigure;

import io.viaemu.ViaConfig;

/**
 * Callback that can change the {@link ViaConfig.Builder} after the {@code via.*} properties (and the inferred worker
 * command) have been applied and before the auto-configured {@link ViaConfig} is built. Customizers run in
 * {@link org.springframework.core.Ordered} order.
 *
 * <p>Worker JVMs receive the built configuration as {@code --via.*} arguments, which cover the channel settings but
 * not the worker pool, JVM options or command: a customizer that changes channel settings (triggers, timeouts,
 * sizes) therefore reaches the workers too.
 */
@FunctionalInterface
public interface ViaConfigCustomizer {
    void customize(ViaConfig.Builder builder);
}
