package io.sluice.coap;

import io.sluice.codec.coap.CoapCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The resources a server (or a client that accepts call-home requests) serves: handlers by path
 * and method. A path is exact ({@code /sensors/temp}) or a prefix ending in {@code /**}
 * ({@code /files/**}), whose remainder reaches the handler. The first matching route wins; a path
 * no route has answers 4.04, a path with routes but none for the method answers 4.05.
 *
 * <p>Built once through {@link CoapServer#route} and immutable afterwards; routing is thread-safe.
 */
public final class CoapRoutes {

    record Route(CoapCode method, String path, boolean prefix, CoapHandler handler, ObservableHandler observable) {

        boolean matchesPath(String requestPath) {
            return prefix ? requestPath.equals(path) || requestPath.startsWith(path + "/") || path.isEmpty() : requestPath.equals(path);
        }

        String remainder(String requestPath) {
            if (!prefix) {
                return "";
            }
            if (path.isEmpty()) {
                return requestPath;
            }
            return requestPath.length() > path.length() ? requestPath.substring(path.length() + 1) : "";
        }
    }

    private final List<Route> routes = new ArrayList<>();

    CoapRoutes() {
    }

    /**
     * @param method the method
     * @param path the path, exact or ending in {@code /**}
     * @param handler answers the requests
     * @return this
     */
    public CoapRoutes route(CoapCode method, String path, CoapHandler handler) {
        Objects.requireNonNull(handler, "handler");
        add(method, path, handler, null);
        return this;
    }

    /** @param path the path @param handler the handler @return this */
    public CoapRoutes get(String path, CoapHandler handler) {
        return route(CoapCode.GET, path, handler);
    }

    /** @param path the path @param handler the handler @return this */
    public CoapRoutes post(String path, CoapHandler handler) {
        return route(CoapCode.POST, path, handler);
    }

    /** @param path the path @param handler the handler @return this */
    public CoapRoutes put(String path, CoapHandler handler) {
        return route(CoapCode.PUT, path, handler);
    }

    /** @param path the path @param handler the handler @return this */
    public CoapRoutes delete(String path, CoapHandler handler) {
        return route(CoapCode.DELETE, path, handler);
    }

    /** @param path the path @param handler the handler @return this */
    public CoapRoutes fetch(String path, CoapHandler handler) {
        return route(CoapCode.FETCH, path, handler);
    }

    /**
     * An observable resource answering GET (and FETCH) with Observe.
     *
     * @param path the path, exact or ending in {@code /**}
     * @param handler the resource's states
     * @return this
     */
    public CoapRoutes observable(String path, ObservableHandler handler) {
        Objects.requireNonNull(handler, "handler");
        add(CoapCode.GET, path, null, handler);
        return this;
    }

    private void add(CoapCode method, String path, CoapHandler handler, ObservableHandler observable) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        boolean prefix = path.endsWith("/**") || path.equals("**");
        String base = prefix ? path.substring(0, path.length() - 2) : path;
        routes.add(new Route(method, normalize(base), prefix, handler, observable));
    }

    static String normalize(String path) {
        String p = path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    List<Route> routes() {
        return routes;
    }

    CoapRoutes copy() {
        CoapRoutes copy = new CoapRoutes();
        copy.routes.addAll(routes);
        return copy;
    }

    /** @return how many routes */
    public int size() {
        return routes.size();
    }
}
