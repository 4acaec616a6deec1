package io.sluice.peer;

import io.netty.buffer.ByteBuf;
import io.sluice.codec.CodecException;
import io.sluice.codec.Limits;
import io.sluice.codec.MessageCodec;

/** The call types the peer tests speak. */
final class TestProtocol {

    static final MessageCodec<Integer> INT = new MessageCodec<>() {
        @Override
        public Integer decode(ByteBuf in, Limits limits) {
            if (in.readableBytes() != 4) {
                throw CodecException.malformed(0, "an int is 4 bytes, got " + in.readableBytes());
            }
            return in.readInt();
        }

        @Override
        public void encode(Integer message, ByteBuf out) {
            out.writeInt(message);
        }
    };

    static final CallType<String, String> ECHO = CallType.unary(1, "echo", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final CallType<Integer, Integer> COUNT = CallType.stream(2, "count", INT, INT);
    static final CallType<String, String> HOLD = CallType.unary(3, "hold", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final CallType<String, String> FAIL = CallType.unary(4, "fail", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final CallType<String, String> CALLBACK = CallType.unary(5, "callback", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final CallType<String, String> ASK_BACK = CallType.unary(6, "ask-back", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final CallType<String, String> BLOCKING = CallType.unary(7, "blocking", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final CallType<String, String> UNHANDLED = CallType.unary(8, "unhandled", PayloadCodecs.utf8(), PayloadCodecs.utf8());
    static final CallType<Integer, String> LINES = CallType.stream(9, "lines", INT, PayloadCodecs.utf8());
    static final CallType<ByteBuf, ByteBuf> BYTES = CallType.unary(10, "bytes", PayloadCodecs.byteBuf(), PayloadCodecs.byteBuf());

    static final PeerProtocol PROTOCOL = PeerProtocol.of(ECHO, COUNT, HOLD, FAIL, CALLBACK, ASK_BACK, BLOCKING, UNHANDLED,
            LINES, BYTES);

    private TestProtocol() {
    }
}
