package io.viaemu.spring.boot;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

import io.viaemu.ParentConnection;
import io.viaemu.ViaConnection;
import io.viaemu.ViaConnectionHandler;
import org.springframework.util.ReflectionUtils;

/** One {@link ConnectionHandler} method of one bean, as the registry found it. */
public final class ConnectionHandlerMethod {
    private final String name;
    private final String beanName;
    private final Object bean;
    private final Method method;
    private final String endpoint;
    private final boolean fork;
    private final boolean accept;
    private final boolean parentSide;

    ConnectionHandlerMethod(String name, String beanName, Object bean, Method method, String endpoint, boolean fork,
            boolean accept) {
        this.name = name;
        this.beanName = beanName;
        this.bean = bean;
        this.method = method;
        this.endpoint = endpoint;
        this.fork = fork;
        this.accept = accept;
        this.parentSide = method.getParameterTypes()[0] == ParentConnection.class;
        ReflectionUtils.makeAccessible(method);
    }

    public String name() {
        return name;
    }

    public String beanName() {
        return beanName;
    }

    public Method method() {
        return method;
    }

    /** The endpoint as annotated; empty means the default endpoint ({@code via.endpoint}). */
    public String endpoint() {
        return endpoint;
    }

    public String endpoint(String defaultEndpoint) {
        return endpoint.isEmpty() ? defaultEndpoint : endpoint;
    }

    public boolean fork() {
        return fork;
    }

    public boolean accept() {
        return accept;
    }

    /** Takes a {@link ParentConnection}: runs in the parent only. */
    public boolean parentSide() {
        return parentSide;
    }

    /** Runs the method on a connection; the method's own exception is rethrown as it is. */
    public void invoke(ViaConnection connection) throws Exception {
        if (parentSide && !(connection instanceof ParentConnection)) {
            throw new IllegalArgumentException("handler '" + name + "' takes a ParentConnection: it runs in the "
                    + "parent only, not on a " + connection.role() + " connection");
        }
        try {
            method.invoke(bean, connection);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /** The method as the core's handler type, for a worker. */
    public ViaConnectionHandler asHandler() {
        return this::invoke;
    }

    @Override
    public String toString() {
        return "'" + name + "' (" + method.getDeclaringClass().getSimpleName() + "#" + method.getName()
                + (endpoint.isEmpty() ? "" : ", endpoint " + endpoint) + (fork ? ", fork" : "")
                + (accept ? "" : ", fork target only") + ")";
    }
}
