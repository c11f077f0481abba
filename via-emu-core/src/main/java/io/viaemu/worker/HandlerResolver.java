package io.viaemu.worker;

import io.viaemu.ViaConnectionHandler;

/** Finds, in a worker process, the handler a forked connection names. */
@FunctionalInterface
public interface HandlerResolver {
    /** @throws IllegalArgumentException if there is no such handler */
    ViaConnectionHandler resolve(String handlerName);

    /** Handler names are class names of {@link ViaConnectionHandler}s with a public no-argument constructor. */
    static HandlerResolver byClassName() {
        return name -> {
            try {
                Class<?> c = Class.forName(name);
                return (ViaConnectionHandler) c.getConstructor().newInstance();
            } catch (ReflectiveOperationException | ClassCastException e) {
                throw new IllegalArgumentException("no handler class '" + name + "': " + e, e);
            }
        };
    }
}
