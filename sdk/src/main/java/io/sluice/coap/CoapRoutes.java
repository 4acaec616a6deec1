package io.sluice.coap;

import io.sluice.codec.coap.CoapCode;
import io.sluice.codec.coap.CoreLink;
import io.sluice.codec.coap.CoreLinkFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The resources a server (or a client that accepts call-home requests) serves: handlers by path
 * and method. A path is exact ({@code /sensors/temp}) or a prefix ending in {@code /**}
 * ({@code /files/**}), whose remainder reaches the handler. The first matching route wins; a path
 * no route has answers 4.04, a path with routes but none for the method answers 4.05.
 *
 * <p>Unless a route takes {@code /.well-known/core} itself, the server answers GET there with its
 * resources in CoRE Link Format (RFC 6690): one link per path, with what {@link #describe} declared
 * and {@code obs} for observable ones, filtered by a query such as {@code ?rt=temperature*}
 * (§4.1), and block-wise when large.
 *
 * <p>Built once through {@link CoapServer#route} and immutable afterwards; routing is thread-safe.
 */
public final class CoapRoutes {

    record Route(CoapCode method, String path, boolean prefix, CoapHandler handler, ObservableHandler observable) {

        /** @return the path as declared, normalized: {@code a/b} or {@code a/**} */
        String pattern() {
            return patternOf(path, prefix);
        }

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
    private final java.util.Map<String, ResourceAttributes> descriptions = new java.util.LinkedHashMap<>();
    private final java.util.Map<String, EtagLookup> etags = new java.util.LinkedHashMap<>();

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

    /**
     * @param path the path
     * @param handler the handler
     * @return this
     */
    public CoapRoutes get(String path, CoapHandler handler) {
        return route(CoapCode.GET, path, handler);
    }

    /**
     * @param path the path
     * @param handler the handler
     * @return this
     */
    public CoapRoutes post(String path, CoapHandler handler) {
        return route(CoapCode.POST, path, handler);
    }

    /**
     * @param path the path
     * @param handler the handler
     * @return this
     */
    public CoapRoutes put(String path, CoapHandler handler) {
        return route(CoapCode.PUT, path, handler);
    }

    /**
     * @param path the path
     * @param handler the handler
     * @return this
     */
    public CoapRoutes delete(String path, CoapHandler handler) {
        return route(CoapCode.DELETE, path, handler);
    }

    /**
     * @param path the path
     * @param handler the handler
     * @return this
     */
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

    /**
     * Declares how to learn the current ETag of the resources under a path, so that conditional
     * requests there (If-Match, If-None-Match; RFC 7252 §5.10.8) are decided before the handler runs:
     * a condition that does not hold is answered 4.12 Precondition Failed and the handler is not
     * called. Without a lookup the handler sees the options and decides
     * ({@link CoapServerRequest#preconditionsHold}). Declaring it again replaces it.
     *
     * @param path the path, as routed (a prefix route's pattern, e.g. {@code /files/**})
     * @param lookup the current ETag of the request's target
     * @return this
     */
    public CoapRoutes etags(String path, EtagLookup lookup) {
        Objects.requireNonNull(path, "path");
        boolean prefix = path.endsWith("/**") || path.equals("**");
        etags.put(patternOf(normalize(prefix ? path.substring(0, path.length() - 2) : path), prefix), Objects.requireNonNull(lookup, "lookup"));
        return this;
    }

    /** @return the lookup declared for a route's path, or null */
    EtagLookup etagLookup(Route route) {
        return etags.get(route.pattern());
    }

    /**
     * Declares what {@code /.well-known/core} says about a path (RFC 6690 §3); declaring it again
     * replaces it.
     *
     * @param path the path, as routed (a prefix route's base for {@code /files/**})
     * @param attributes its link attributes
     * @return this
     */
    public CoapRoutes describe(String path, ResourceAttributes attributes) {
        descriptions.put(normalize(Objects.requireNonNull(path, "path").replace("/**", "")), Objects.requireNonNull(attributes, "attributes"));
        return this;
    }

    /**
     * The server's resources as links, each path once in route order, for {@code /.well-known/core}.
     *
     * @return the links
     */
    List<CoreLink> links() {
        java.util.Map<String, Boolean> observable = new java.util.LinkedHashMap<>();
        for (Route r : routes) {
            if (!r.path().equals(WELL_KNOWN_CORE)) {
                observable.merge(r.path(), r.observable() != null, Boolean::logicalOr);
            }
        }
        List<CoreLink> links = new ArrayList<>();
        observable.forEach((path, obs) -> {
            java.util.Map<String, List<String>> attributes = new java.util.LinkedHashMap<>(
                    descriptions.getOrDefault(path, ResourceAttributes.create()).asMap());
            if (obs) {
                attributes.putIfAbsent("obs", List.of(""));
            }
            links.add(new CoreLink("/" + path, attributes));
        });
        return links;
    }

    /**
     * {@code GET /.well-known/core} (RFC 6690 §4): the links, kept to those that pass every
     * {@code name=value} of the query (a value ending in {@code *} is a prefix; §4.1).
     */
    CoapResponse discovery(CoapRequest request) {
        List<CoreLink> kept = new ArrayList<>();
        for (CoreLink link : links()) {
            boolean passes = true;
            for (String filter : request.options().uriQueries()) {
                int eq = filter.indexOf('=');
                String name = eq < 0 ? filter : filter.substring(0, eq);
                String value = eq < 0 ? "*" : filter.substring(eq + 1);
                passes &= link.matches(name, value);
            }
            if (passes) {
                kept.add(link);
            }
        }
        return CoapResponse.of(CoapCode.CONTENT).body(CoreLinkFormat.write(kept)).contentFormat(CoreLink.CONTENT_FORMAT);
    }

    /** The discovery resource's path, normalized. */
    static final String WELL_KNOWN_CORE = ".well-known/core";

    private void add(CoapCode method, String path, CoapHandler handler, ObservableHandler observable) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        boolean prefix = path.endsWith("/**") || path.equals("**");
        String base = prefix ? path.substring(0, path.length() - 2) : path;
        routes.add(new Route(method, normalize(base), prefix, handler, observable));
    }

    private static String patternOf(String normalizedBase, boolean prefix) {
        return prefix ? normalizedBase + "/**" : normalizedBase;
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
        copy.descriptions.putAll(descriptions);
        copy.etags.putAll(etags);
        return copy;
    }

    /** @return how many routes */
    public int size() {
        return routes.size();
    }
}
