package io.viaemu.spring.boot;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.core.annotation.AliasFor;

/**
 * Marks a bean method that serves via-emu connections. The method takes one parameter:
 * <ul>
 * <li>{@link io.viaemu.ViaConnection}: runs in the parent, or with {@link #fork()} in a worker JVM; it may also be
 * the target of a {@link io.viaemu.ParentConnection#fork(String) fork} by name;</li>
 * <li>{@link io.viaemu.ParentConnection}: runs in the parent only. It may read a request and then call
 * {@code connection.fork("otherHandler")}; when it returns the starter closes its end, which with trigger T1 hands
 * the connection to the worker, every byte the method did not consume included. Read request lines with
 * {@link ConnectionLines#readLine}: a {@code BufferedReader} reads ahead, and whatever it buffered counts as
 * consumed by the parent and never reaches the worker.</li>
 * </ul>
 *
 * <p><b>Dispatch.</b> Each endpoint has at most one accepting handler; every connection accepted on that endpoint
 * goes to it. The endpoint is {@link #endpoint()}, or {@code via.endpoint} when empty. Handlers with
 * {@code accept = false} serve no endpoint: they only run in workers, reached by a fork in a parent-side handler.
 * A handler's name is what {@code fork(name)} and the worker use to find it.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface ConnectionHandler {

    /** Alias for {@link #name()}. */
    @AliasFor("name")
    String value() default "";

    /** The handler's name, unique in the application; defaults to {@code beanName#methodName}. */
    @AliasFor("value")
    String name() default "";

    /**
     * The endpoint whose accepted connections this handler serves; empty means {@code via.endpoint}. An endpoint
     * other than {@code via.endpoint} gets its own server (and worker pool) under the same base directory.
     */
    String endpoint() default "";

    /**
     * Run in a worker JVM: right after accepting, the starter forks the connection to a worker running this handler
     * and closes the parent's end (trigger T1). Without T1 the parent keeps its end untouched until another active
     * trigger (T3, T4, or T2 at shutdown) hands the connection over. Not allowed on a {@code ParentConnection}
     * method.
     */
    boolean fork() default false;

    /** False for a handler that serves no endpoint and is only reached by {@code fork(name)}. */
    boolean accept() default true;
}
