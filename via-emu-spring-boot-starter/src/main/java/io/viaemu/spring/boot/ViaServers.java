package io.viaemu.spring.boot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.viaemu.ViaConfig;
import io.viaemu.ViaServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * The {@link ViaServer} of each endpoint this application serves: the {@code ViaServer} bean (endpoint
 * {@code via.endpoint}) and one more per other endpoint a {@link ConnectionHandler} names. The others are opened
 * once every singleton exists (only then are all handlers known) and closed with this bean; the bean's own server
 * is closed by its bean definition.
 */
public class ViaServers implements SmartInitializingSingleton, DisposableBean {
    private static final Logger log = LoggerFactory.getLogger(ViaServers.class);

    private final ViaServer primary;
    private final ViaConfig config;
    private final ConnectionHandlerRegistry handlers;
    private final Map<String, ViaServer> servers = new LinkedHashMap<>();
    private final List<ViaServer> opened = new ArrayList<>();
    private boolean extrasOpened;

    public ViaServers(ViaServer primary, ViaConfig config, ConnectionHandlerRegistry handlers) {
        this.primary = primary;
        this.config = config;
        this.handlers = handlers;
        servers.put(primary.endpoint(), primary);
    }

    @Override
    public void afterSingletonsInstantiated() {
        openHandlerEndpoints();
    }

    /** Opens a server for every endpoint an accepting handler names; idempotent. */
    synchronized void openHandlerEndpoints() {
        if (extrasOpened) {
            return;
        }
        extrasOpened = true;
        for (String endpoint : handlers.acceptingHandlers(primary.endpoint()).keySet()) {
            if (!servers.containsKey(endpoint)) {
                try {
                    ViaServer s = ViaServer.listen(config, endpoint);
                    servers.put(endpoint, s);
                    opened.add(s);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot listen on via-emu endpoint '" + endpoint + "'", e);
                }
            }
        }
    }

    /** The server of {@code via.endpoint} (the {@code ViaServer} bean). */
    public ViaServer primary() {
        return primary;
    }

    public synchronized Collection<ViaServer> all() {
        openHandlerEndpoints();
        return List.copyOf(servers.values());
    }

    public synchronized Optional<ViaServer> get(String endpoint) {
        openHandlerEndpoints();
        return Optional.ofNullable(servers.get(endpoint));
    }

    public ViaConfig config() {
        return config;
    }

    @Override
    public synchronized void destroy() {
        for (ViaServer s : opened) {
            try {
                s.close();
            } catch (IOException | RuntimeException e) {
                log.warn("closing via-emu endpoint '{}': {}", s.endpoint(), e.toString());
            }
        }
        opened.clear();
    }
}
