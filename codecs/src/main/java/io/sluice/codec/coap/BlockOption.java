package io.sluice.codec.coap;

/**
 * The value of a Block1 or Block2 option (RFC 7959 §2.2): the block number, whether more blocks
 * follow, and the size exponent, block size = 2<sup>szx+4</sup> bytes (16 to 1024; szx 7 is
 * reserved for BERT over reliable transports). Immutable.
 *
 * @param num the block number, 0 to 2<sup>20</sup>-1
 * @param more whether more blocks follow (M bit)
 * @param szx the size exponent, 0–7
 */
public record BlockOption(int num, boolean more, int szx) {

    /** The largest block number a 3-byte option can carry. */
    public static final int MAX_NUM = (1 << 20) - 1;

    /**
     * @param num the block number
     * @param more the M bit
     * @param szx the size exponent
     */
    public BlockOption {
        if (num < 0 || num > MAX_NUM) {
            throw new IllegalArgumentException("block number " + num + " is outside 0-" + MAX_NUM);
        }
        if (szx < 0 || szx > 7) {
            throw new IllegalArgumentException("block size exponent " + szx + " is outside 0-7");
        }
    }

    /**
     * @param size a block size: a power of two from 16 to 1024
     * @return its size exponent
     */
    public static int szxOf(int size) {
        if (size < 16 || size > 1024 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("block size " + size + " is not a power of two from 16 to 1024");
        }
        return Integer.numberOfTrailingZeros(size) - 4;
    }

    /** @return the block size in bytes (1024 for szx 7) */
    public int size() {
        return 1 << (Math.min(szx, 6) + 4);
    }

    /** @return the byte offset of this block in the body */
    public long offset() {
        return (long) num * size();
    }

    /** @return the minimal option value */
    public byte[] encode() {
        return CoapOptions.uintBytes(((long) num << 4) | (more ? 8 : 0) | szx);
    }

    /**
     * @param value an option value of 0–3 bytes
     * @return the block option
     * @throws IllegalArgumentException when the value is longer than 3 bytes
     */
    public static BlockOption decode(byte[] value) {
        if (value.length > 3) {
            throw new IllegalArgumentException("a block option value has at most 3 bytes, got " + value.length);
        }
        int v = 0;
        for (byte b : value) {
            v = (v << 8) | (b & 0xFF);
        }
        return new BlockOption(v >>> 4, (v & 8) != 0, v & 7);
    }

    @Override
    public String toString() {
        return num + (more ? "/1/" : "/0/") + size();
    }
}
