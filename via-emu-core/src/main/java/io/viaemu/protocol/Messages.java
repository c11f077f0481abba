package io.viaemu.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.viaemu.ViaProtocolException;
import io.viaemu.transport.Document;

/**
 * Encoding of protocol documents: {@code [version:1][type:1][fields...]}, fields little-endian fixed-width longs and
 * length-prefixed UTF-8 strings. Writers fill a reusable {@link Writer}; readers parse a {@link Document} with a
 * {@link Reader} that checks every length, so a truncated or garbled document is a {@link ViaProtocolException}, never
 * an out-of-bounds read.
 */
public final class Messages {

    public static final byte VERSION = 1;
    /** Version and type. */
    public static final int HEADER = 2;
    /** Longest string field (endpoint, handler name, close reason). */
    public static final int MAX_STRING = 1024;

    private Messages() {
    }

    /** Builds one document's header and fields in a reusable array. Not thread-safe. */
    public static final class Writer {
        private byte[] buf = new byte[256];
        private int pos;

        public Writer start(MessageType type) {
            buf[0] = VERSION;
            buf[1] = type.code();
            pos = HEADER;
            return this;
        }

        public Writer putLong(long v) {
            ensure(8);
            for (int i = 0; i < 8; i++) {
                buf[pos++] = (byte) (v >>> (8 * i));
            }
            return this;
        }

        public Writer putInt(int v) {
            ensure(4);
            for (int i = 0; i < 4; i++) {
                buf[pos++] = (byte) (v >>> (8 * i));
            }
            return this;
        }

        public Writer putString(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > MAX_STRING) {
                b = Arrays.copyOf(b, MAX_STRING);
            }
            putInt(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return this;
        }

        public byte[] bytes() {
            return buf;
        }

        public int length() {
            return pos;
        }

        private void ensure(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }
    }

    /** Parses one document. Reuse it with {@link #reset(Document)}. Not thread-safe. */
    public static final class Reader {
        private byte[] buf;
        private int pos;
        private int end;
        private MessageType type;

        /**
         * Checks version and type and positions at the first field.
         *
         * @throws ViaProtocolException for an empty document, another protocol version or an unknown type
         */
        public Reader reset(Document doc) throws ViaProtocolException {
            this.buf = doc.bytes();
            this.end = doc.length();
            if (end < HEADER) {
                throw new ViaProtocolException("truncated document at index " + Long.toHexString(doc.index())
                        + ": " + end + " bytes, no header");
            }
            if (buf[0] != VERSION) {
                throw new ViaProtocolException("protocol version " + buf[0] + " not supported (this side speaks "
                        + VERSION + ")");
            }
            this.type = MessageType.of(buf[1]);
            if (type == null) {
                throw new ViaProtocolException("unknown message type " + buf[1]);
            }
            this.pos = HEADER;
            return this;
        }

        public MessageType type() {
            return type;
        }

        public long getLong() throws ViaProtocolException {
            need(8);
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v |= (buf[pos++] & 0xFFL) << (8 * i);
            }
            return v;
        }

        public int getInt() throws ViaProtocolException {
            need(4);
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v |= (buf[pos++] & 0xFF) << (8 * i);
            }
            return v;
        }

        public String getString() throws ViaProtocolException {
            int n = getInt();
            if (n < 0 || n > MAX_STRING) {
                throw new ViaProtocolException(type + " document has a string of bad length " + n);
            }
            need(n);
            String s = new String(buf, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        /** Offset of the payload (the bytes after the header) in the document's array. */
        public int payloadOffset() {
            return HEADER;
        }

        public int payloadLength() {
            return end - HEADER;
        }

        private void need(int n) throws ViaProtocolException {
            if (pos + n > end) {
                throw new ViaProtocolException("truncated " + type + " document: needs " + (pos + n - HEADER)
                        + " bytes of fields, has " + (end - HEADER));
            }
        }
    }
}
