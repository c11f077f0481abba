package io.viaemu.spring.boot;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.viaemu.ParentConnection;
import io.viaemu.ViaConnection;
import io.viaemu.worker.HandlerResolver;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;

/**
 * Finds the {@link ConnectionHandler} methods of every bean as it is initialized (like {@code @EventListener}
 * processing), checks them, and looks them up by name for the dispatcher (parent) and the worker runtime (child).
 * Lazy beans are seen only once something initializes them, so handler beans should not be lazy.
 */
public class ConnectionHandlerRegistry implements BeanPostProcessor, HandlerResolver {

    private final Map<String, ConnectionHandlerMethod> byName = new LinkedHashMap<>();

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        Class<?> target = AopUtils.getTargetClass(bean);
        if (!AnnotationUtils.isCandidateClass(target, ConnectionHandler.class)) {
            return bean;
        }
        Map<Method, ConnectionHandler> methods = MethodIntrospector.selectMethods(target,
                (MethodIntrospector.MetadataLookup<ConnectionHandler>) m ->
                        AnnotatedElementUtils.findMergedAnnotation(m, ConnectionHandler.class));
        methods.forEach((method, annotation) -> register(bean, beanName, method, annotation));
        return bean;
    }

    private void register(Object bean, String beanName, Method method, ConnectionHandler a) {
        String where = method.getDeclaringClass().getName() + "#" + method.getName();
        Class<?>[] params = method.getParameterTypes();
        if (params.length != 1 || (params[0] != ViaConnection.class && params[0] != ParentConnection.class)) {
            throw new IllegalStateException("@ConnectionHandler " + where
                    + " must take exactly one ViaConnection or ParentConnection parameter");
        }
        boolean parentSide = params[0] == ParentConnection.class;
        if (parentSide && a.fork()) {
            throw new IllegalStateException("@ConnectionHandler " + where + " takes a ParentConnection, so it runs in "
                    + "the parent and cannot have fork = true; call connection.fork(name) in it instead");
        }
        if (parentSide && !a.accept()) {
            throw new IllegalStateException("@ConnectionHandler " + where + " takes a ParentConnection but accepts "
                    + "no connections (accept = false): fork targets run in workers, where there is no parent end");
        }
        if (!a.accept() && a.fork()) {
            throw new IllegalStateException("@ConnectionHandler " + where + ": fork = true applies to accepted "
                    + "connections; a handler with accept = false runs only in workers anyway");
        }
        String name = a.name().isEmpty() ? beanName + "#" + method.getName() : a.name();
        Method invocable = AopUtils.selectInvocableMethod(method, bean.getClass());
        ConnectionHandlerMethod h = new ConnectionHandlerMethod(name, beanName, bean, invocable, a.endpoint(),
                a.fork(), a.accept());
        synchronized (byName) {
            ConnectionHandlerMethod clash = byName.putIfAbsent(name, h);
            if (clash != null) {
                throw new IllegalStateException("two @ConnectionHandler methods are named '" + name + "': " + clash
                        + " and " + h);
            }
        }
    }

    public Optional<ConnectionHandlerMethod> get(String name) {
        synchronized (byName) {
            return Optional.ofNullable(byName.get(name));
        }
    }

    public Collection<ConnectionHandlerMethod> all() {
        synchronized (byName) {
            return List.copyOf(byName.values());
        }
    }

    /**
     * The accepting handler of each endpoint, {@code defaultEndpoint} standing for an empty one.
     *
     * @throws IllegalStateException if an endpoint has more than one
     */
    public Map<String, ConnectionHandlerMethod> acceptingHandlers(String defaultEndpoint) {
        Map<String, ConnectionHandlerMethod> map = new LinkedHashMap<>();
        List<String> clashes = new ArrayList<>();
        for (ConnectionHandlerMethod h : all()) {
            if (!h.accept()) {
                continue;
            }
            ConnectionHandlerMethod other = map.putIfAbsent(h.endpoint(defaultEndpoint), h);
            if (other != null) {
                clashes.add("endpoint '" + h.endpoint(defaultEndpoint) + "': " + other + " and " + h);
            }
        }
        if (!clashes.isEmpty()) {
            throw new IllegalStateException("more than one @ConnectionHandler accepts connections on " + clashes
                    + ": give each its own endpoint, or set accept = false on those that are only fork targets");
        }
        return map;
    }

    /** The worker's lookup: handler names are {@link ConnectionHandler} names. */
    @Override
    public io.viaemu.ViaConnectionHandler resolve(String handlerName) {
        ConnectionHandlerMethod h = get(handlerName).orElseThrow(() -> new IllegalArgumentException(
                "no @ConnectionHandler named '" + handlerName + "' in this application; known: "
                        + all().stream().map(ConnectionHandlerMethod::name).toList()));
        if (h.parentSide()) {
            throw new IllegalArgumentException("@ConnectionHandler '" + handlerName
                    + "' takes a ParentConnection and runs only in the parent, not in a worker");
        }
        return h.asHandler();
    }
}
