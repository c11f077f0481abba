package io.viaemu.socket.classic;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.net.SocketFactory;

/** The line server's client: one request line, one reply line, in lock step; then BYE and end of stream. */
public final class ClassicUppercaseClient {

    private ClassicUppercaseClient() {
    }

    /** Sends each line and collects the replies; the last reply is BYE's. */
    public static List<String> converse(SocketFactory factory, String host, int port, List<String> lines)
            throws IOException {
        try (Socket socket = factory.createSocket()) {
            socket.connect(new InetSocketAddress(host, port), 10_000);
            socket.setSoTimeout(30_000);
            socket.setTcpNoDelay(true);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            Writer out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8);
            List<String> replies = new ArrayList<>();
            for (String line : lines) {
                out.write(line + "\n");
                out.flush();
                replies.add(in.readLine());
            }
            out.write("BYE\n");
            out.flush();
            replies.add(in.readLine());
            String after = in.readLine();
            if (after != null) {
                throw new IOException("expected end of stream after BYE, got: " + after);
            }
            return replies;
        }
    }
}
