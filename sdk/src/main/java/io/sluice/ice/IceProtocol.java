package io.sluice.ice;

import io.sluice.codec.ice.IceVersion;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A protocol to run over ICE, as either side registers it ({@code IceRegisterForProtocolSetup},
 * {@code IceRegisterForProtocolReply}): its name, this implementation's vendor and release, the
 * versions it speaks in preference order, the authentication methods it offers or demands, and,
 * for the accepting side, host-based authentication and the setup and activate hooks. Immutable:
 * each {@code with...} returns a copy.
 *
 * <p>Registered on an {@link IceConnector} or an {@link IceListener}, a protocol gets that side's
 * major opcode (1–255, in registration order). A connection can set up any protocol of its side
 * ({@link IceConnection#setup}) and accepts the peer's setups of them
 * ({@link IceConnection#acceptedProtocols()}).
 */
public final class IceProtocol {

    /**
     * The setup hook ({@code IceProtocolSetupProc}): runs when a peer's ProtocolSetup passed
     * authentication, before the ProtocolReply. Runs on the connection's event loop; must not block.
     */
    @FunctionalInterface
    public interface SetupHook {
        /**
         * @param connection the connection
         * @param version the version chosen
         * @param vendor the peer's vendor for the protocol
         * @param release the peer's release for the protocol
         * @return {@code null} to accept, else the reason to refuse (sent in a SetupFailed error)
         */
        String refusal(IceConnection connection, IceVersion version, String vendor, String release);
    }

    private final String name;
    private final String vendor;
    private final String release;
    private final List<IceVersion> versions;
    private final List<IceAuthMethod> authMethods;
    private final Predicate<String> hostBasedAuth;
    private final SetupHook setupHook;
    private final Consumer<IceProtocolSession> activateHook;

    private IceProtocol(String name, String vendor, String release, List<IceVersion> versions, List<IceAuthMethod> authMethods,
            Predicate<String> hostBasedAuth, SetupHook setupHook, Consumer<IceProtocolSession> activateHook) {
        this.name = Objects.requireNonNull(name, "name");
        this.vendor = Objects.requireNonNull(vendor, "vendor");
        this.release = Objects.requireNonNull(release, "release");
        this.versions = List.copyOf(versions);
        if (this.versions.isEmpty() || this.versions.size() > 255) {
            throw new IllegalArgumentException("a protocol offers 1-255 versions, got " + this.versions.size());
        }
        this.authMethods = List.copyOf(authMethods);
        if (this.authMethods.size() > 255) {
            throw new IllegalArgumentException("a protocol offers at most 255 authentication methods");
        }
        this.hostBasedAuth = hostBasedAuth;
        this.setupHook = setupHook;
        this.activateHook = activateHook;
    }

    /**
     * @param name the protocol name both sides agree on, e.g. {@code XSMP}
     * @param vendor this implementation's vendor
     * @param release this implementation's release
     * @param versions the versions offered, most preferred first
     * @return a protocol without authentication or hooks
     */
    public static IceProtocol of(String name, String vendor, String release, IceVersion... versions) {
        return new IceProtocol(name, vendor, release, List.of(versions), List.of(), null, null, null);
    }

    /**
     * @param methods the authentication methods, in preference order (e.g. {@link IceAuthMethod#mitMagicCookie1()})
     * @return a copy
     */
    public IceProtocol withAuth(IceAuthMethod... methods) {
        return new IceProtocol(name, vendor, release, versions, List.of(methods), hostBasedAuth, setupHook, activateHook);
    }

    /**
     * Host-based authentication for the accepting side ({@code IceHostBasedAuthProc}): consulted
     * when no offered method is usable or authentication fails and the originator did not demand
     * authentication. Without it such setups are refused.
     *
     * @param check gets {@code "tcp/<address>"} or {@code "local/<host>"}; true admits the peer
     * @return a copy
     */
    public IceProtocol withHostBasedAuth(Predicate<String> check) {
        return new IceProtocol(name, vendor, release, versions, authMethods, Objects.requireNonNull(check), setupHook, activateHook);
    }

    /**
     * @param hook the setup hook
     * @return a copy
     */
    public IceProtocol onSetup(SetupHook hook) {
        return new IceProtocol(name, vendor, release, versions, authMethods, hostBasedAuth, Objects.requireNonNull(hook), activateHook);
    }

    /**
     * @param hook runs on the event loop right after the ProtocolReply is written
     *     ({@code IceProtocolActivateProc}), so a message it sends follows the reply
     * @return a copy
     */
    public IceProtocol onActivate(Consumer<IceProtocolSession> hook) {
        return new IceProtocol(name, vendor, release, versions, authMethods, hostBasedAuth, setupHook, Objects.requireNonNull(hook));
    }

    /** @return the protocol name */
    public String name() {
        return name;
    }

    /** @return this implementation's vendor */
    public String vendor() {
        return vendor;
    }

    /** @return this implementation's release */
    public String release() {
        return release;
    }

    /** @return the versions, most preferred first */
    public List<IceVersion> versions() {
        return versions;
    }

    /** @return the authentication methods, most preferred first */
    public List<IceAuthMethod> authMethods() {
        return authMethods;
    }

    Predicate<String> hostBasedAuth() {
        return hostBasedAuth;
    }

    SetupHook setupHook() {
        return setupHook;
    }

    Consumer<IceProtocolSession> activateHook() {
        return activateHook;
    }

    @Override
    public String toString() {
        return "IceProtocol[" + name + " " + versions + ", " + vendor + " " + release + (authMethods.isEmpty() ? "" : ", auth " + authMethods) + "]";
    }
}
