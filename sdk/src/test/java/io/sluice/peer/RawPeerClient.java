package io.sluice.peer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.sluice.codec.Limits;
import io.sluice.codec.call.CallFrame;
import io.sluice.codec.call.CallFrameCodec;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/** A hand-driven client speaking raw frames, to send what a well-behaved peer never would. */
final class RawPeerClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawPeerClient(LivePeer server) throws IOException {
        this(server, 0);
    }

    /** @param receiveBuffer the socket's receive buffer, set before connecting so TCP honours it; 0 for the default */
    RawPeerClient(LivePeer server, int receiveBuffer) throws IOException {
        InetSocketAddress address = (InetSocketAddress) server.listenAddresses().get(0);
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(address, 10_000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    void hello(int version) throws IOException {
        hello(version, 0);
    }

    void hello(int version, long keepAliveMillis) throws IOException {
        send(new CallFrame.Hello(version, keepAliveMillis, 1 << 20));
    }

    void send(CallFrame f) throws IOException {
        ByteBuf frame = CallFrameCodec.INSTANCE.encode(f, io.netty.buffer.ByteBufAllocator.DEFAULT);
        try {
            out.write(ByteBufUtil.getBytes(frame));
            out.flush();
        } finally {
            frame.release();
        }
    }

    void send(String hex) throws IOException {
        out.write(ByteBufUtil.decodeHexDump(hex));
        out.flush();
    }

    CallFrame read() throws IOException {
        DataInputStream data = new DataInputStream(in);
        int length = data.readInt();
        byte[] body = new byte[length];
        data.readFully(body);
        ByteBuf frame = Unpooled.buffer(4 + length).writeInt(length).writeBytes(body);
        try {
            CallFrame decoded = CallFrameCodec.INSTANCE.decode(frame, Limits.defaults());
            if (decoded instanceof CallFrame.PayloadFrame p) {
                p.release();
            }
            return decoded;
        } finally {
            frame.release();
        }
    }

    CallFrame readUntilGoodbye() throws IOException {
        for (;;) {
            CallFrame f = read();
            if (f instanceof CallFrame.Goodbye) {
                return f;
            }
        }
    }

    boolean closed() throws IOException {
        return in.read() == -1;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
