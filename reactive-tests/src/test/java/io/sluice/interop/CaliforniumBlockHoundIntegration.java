package io.sluice.interop;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Lets Eclipse Californium's TCP connector shut down under BlockHound: its {@code stop()} closes a
 * Netty channel pool, which waits for each channel's close on Netty's global executor thread.
 * That is the peer's teardown in a test, not Sluice code on an event loop.
 */
public final class CaliforniumBlockHoundIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("io.netty.channel.pool.SimpleChannelPool", "close");
    }
}
