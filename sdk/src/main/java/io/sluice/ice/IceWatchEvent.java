package io.sluice.ice;

/**
 * A connection opening or closing ({@code IceWatchProc}): {@link IceConnections#watch()} sends one
 * when a connection completes its setup (after authentication) and one when it closes. Immutable.
 *
 * @param connection the connection
 * @param opening true when it opened, false when it closed
 */
public record IceWatchEvent(IceConnection connection, boolean opening) {
}
