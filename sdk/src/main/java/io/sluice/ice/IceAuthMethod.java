package io.sluice.ice;

import java.security.MessageDigest;

/**
 * An ICE authentication method ({@code IcePoAuthProc} / {@code IcePaAuthProc}), usable for the
 * connection setup and for protocol setups. A method makes one state machine per
 * authentication: the originator's answers each challenge, the acceptor's starts with a
 * challenge and judges each reply, for as many phases as the method needs (AuthRequired,
 * AuthReply, AuthNextPhase, AuthReply, ...).
 *
 * <p>Threading: every call runs on the connection's event loop and must not block. Keys are
 * read from the {@link IceAuthority} given in the {@link Context}, which is already in memory.
 */
public interface IceAuthMethod {

    /** @return the method's name as it travels in ConnectionSetup and ProtocolSetup */
    String name();

    /**
     * @param context what is being authenticated
     * @return whether this side can use the method there (libICE offers and accepts only methods
     *     it has data for); true unless the method needs an authority entry
     */
    default boolean usable(Context context) {
        return true;
    }

    /**
     * @param context what is being authenticated
     * @return a fresh originator state machine
     */
    Originator originator(Context context);

    /**
     * @param context what is being authenticated
     * @return a fresh acceptor state machine
     */
    Acceptor acceptor(Context context);

    /** The originator's side: answers the acceptor's challenges. */
    interface Originator {
        /**
         * @param challenge the data of AuthRequired or AuthNextPhase
         * @return {@link IceAuthStep#reply}, or {@link IceAuthStep#rejected} / {@link IceAuthStep#failed}
         */
        IceAuthStep respond(byte[] challenge);
    }

    /** The acceptor's side: challenges and judges. */
    interface Acceptor {
        /** @return the first challenge ({@link IceAuthStep#next}), or an immediate decision */
        IceAuthStep start();

        /**
         * @param reply the data of the originator's AuthReply
         * @return {@link IceAuthStep#accepted}, {@link IceAuthStep#next} for another phase, or a rejection / failure
         */
        IceAuthStep judge(byte[] reply);
    }

    /**
     * What an authentication is for.
     *
     * @param protocolName {@code ICE} for the connection setup, else the protocol being set up
     * @param networkId the connection's network ID: the one dialled (originator) or the
     *     listener's (acceptor); authority entries are keyed by it
     * @param authority the authentication data this side holds
     * @param swapping whether the peer's byte order differs from Sluice's (for methods whose data has numbers)
     */
    record Context(String protocolName, String networkId, IceAuthority authority, boolean swapping) {
    }

    /**
     * @return MIT-MAGIC-COOKIE-1 as libICE implements it: the acceptor challenges with no data,
     *     the originator replies with the cookie its authority holds for the network ID, the
     *     acceptor compares it with its own in constant time. The method is usable for a protocol
     *     only where the authority has an entry for that protocol and network ID, but the cookie
     *     compared is always the {@code ICE} entry's, for protocol setups too: libICE looks it up
     *     that way, and a cookie of the protocol's own entry would be rejected by libICE peers
     */
    static IceAuthMethod mitMagicCookie1() {
        return MitMagicCookie1.INSTANCE;
    }

    /** MIT-MAGIC-COOKIE-1. */
    final class MitMagicCookie1 implements IceAuthMethod {
        static final MitMagicCookie1 INSTANCE = new MitMagicCookie1();

        private MitMagicCookie1() {
        }

        @Override
        public String name() {
            return IceAuthority.MIT_MAGIC_COOKIE_1;
        }

        @Override
        public boolean usable(Context context) {
            return context.authority().find(context.protocolName(), context.networkId(), name()).isPresent();
        }

        @Override
        public Originator originator(Context context) {
            return challenge -> context.authority().find("ICE", context.networkId(), name())
                    .map(e -> IceAuthStep.reply(e.authData()))
                    .orElseGet(() -> IceAuthStep.failed("no " + name() + " for " + context.protocolName() + " on " + context.networkId()));
        }

        @Override
        public Acceptor acceptor(Context context) {
            return new Acceptor() {
                @Override
                public IceAuthStep start() {
                    return IceAuthStep.next(new byte[0]);
                }

                @Override
                public IceAuthStep judge(byte[] reply) {
                    return context.authority().find("ICE", context.networkId(), name())
                            .map(e -> MessageDigest.isEqual(e.authData(), reply) ? IceAuthStep.accepted()
                                    : IceAuthStep.rejected(name() + " authentication rejected"))
                            .orElseGet(() -> IceAuthStep.failed("no " + name() + " held for " + context.protocolName()));
                }
            };
        }

        @Override
        public String toString() {
            return name();
        }
    }
}
