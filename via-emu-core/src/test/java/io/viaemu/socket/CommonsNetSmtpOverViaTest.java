package io.viaemu.socket;

import static io.viaemu.socket.SocketTestSupport.config;
import static io.viaemu.socket.SocketTestSupport.privateBaseDir;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ServerSocketFactory;

import org.apache.commons.net.smtp.SMTPClient;
import org.apache.commons.net.smtp.SMTPReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A third-party client nobody in this project wrote: Apache Commons Net's {@link SMTPClient}, given a
 * {@link ViaSocketFactory} through {@code SocketClient.setSocketFactory}, sends mail to a small SMTP server written
 * against {@code ServerSocketFactory} and listening on a {@link ViaServerSocket}. Commons Net creates an unconnected
 * socket and connects it with a timeout, sets buffer sizes and SO_TIMEOUT, and reads replies through its own
 * buffered CRLF reader: the library code paths, over via-emu.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CommonsNetSmtpOverViaTest {

    private static final int SMTP_PORT = 2525;

    @TempDir
    Path tempDir;

    @Test
    void commonsNetSmtpClientSendsMailOverViaEmu() throws Exception {
        ViaAddressMap map = new ViaAddressMap().map(SMTP_PORT, "smtp");
        ViaServerSocketFactory servers = new ViaServerSocketFactory(config(privateBaseDir(tempDir)), map);

        try (MiniSmtpServer smtpServer = new MiniSmtpServer(servers, SMTP_PORT)) {
            SMTPClient smtp = new SMTPClient();
            smtp.setSocketFactory(servers.socketFactory());
            smtp.setConnectTimeout(5_000);
            smtp.setDefaultTimeout(5_000);
            smtp.setReceiveBufferSize(16 * 1024); // Commons Net sets these on the socket before connecting
            smtp.setSendBufferSize(16 * 1024);
            try {
                smtp.connect("localhost", SMTP_PORT);
                assertThat(SMTPReply.isPositiveCompletion(smtp.getReplyCode())).as(smtp.getReplyString()).isTrue();
                assertThat(smtp.getReplyString()).startsWith("220 via.test");
                assertThat(smtp.getRemotePort()).isEqualTo(SMTP_PORT);

                assertThat(smtp.login("client.example")).as(smtp.getReplyString()).isTrue();
                // two messages on one connection; the second has a line starting with '.', which SMTP escapes
                assertThat(smtp.sendSimpleMessage("alice@example.org", "bob@example.org",
                        "Subject: first\r\n\r\nHello Bob,\r\nthis went over via-emu.\r\n")).as(smtp.getReplyString())
                        .isTrue();
                assertThat(smtp.sendSimpleMessage("alice@example.org",
                        new String[] {"carol@example.org", "dave@example.org"},
                        "Subject: second\r\n\r\n.leading dot\r\nlast line\r\n")).as(smtp.getReplyString()).isTrue();
                assertThat(smtp.logout()).isTrue();
            } finally {
                smtp.disconnect();
            }

            // the server side really was via-emu: its ServerSocket is a ViaServerSocket whose ViaServer granted
            assertThat(smtpServer.listener).isInstanceOf(ViaServerSocket.class);
            assertThat(((ViaServerSocket) smtpServer.listener).endpoint()).isEqualTo("smtp");
            Mail first = smtpServer.received.poll(5, TimeUnit.SECONDS);
            Mail second = smtpServer.received.poll(5, TimeUnit.SECONDS);
            assertThat(first).isNotNull();
            assertThat(first.helo).isEqualTo("client.example");
            assertThat(first.from).isEqualTo("<alice@example.org>");
            assertThat(first.to).containsExactly("<bob@example.org>");
            assertThat(first.data).isEqualTo("Subject: first\r\n\r\nHello Bob,\r\nthis went over via-emu.\r\n");
            assertThat(second).isNotNull();
            assertThat(second.to).containsExactly("<carol@example.org>", "<dave@example.org>");
            assertThat(second.data).isEqualTo("Subject: second\r\n\r\n.leading dot\r\nlast line\r\n");
        }
    }

    /** One mail as the server received it. */
    static final class Mail {
        String helo;
        String from;
        final List<String> to = new ArrayList<>();
        String data;
    }

    /**
     * Just enough SMTP (RFC 5321: HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) to take mail, written
     * only against java.net and javax.net: a ServerSocket from the factory, a thread per client.
     */
    static final class MiniSmtpServer implements Closeable {
        final BlockingQueue<Mail> received = new LinkedBlockingQueue<>();
        private final ServerSocket listener;
        private final Thread acceptor;

        MiniSmtpServer(ServerSocketFactory factory, int port) throws IOException {
            listener = factory.createServerSocket(port);
            acceptor = new Thread(this::acceptLoop, "mini-smtp-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void acceptLoop() {
            while (!listener.isClosed()) {
                try {
                    Socket client = listener.accept();
                    Thread t = new Thread(() -> serve(client), "mini-smtp-client");
                    t.setDaemon(true);
                    t.start();
                } catch (SocketException closed) {
                    return;
                } catch (IOException e) {
                    e.printStackTrace();
                    return;
                }
            }
        }

        private void serve(Socket socket) {
            try (socket) {
                socket.setSoTimeout(10_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                        StandardCharsets.US_ASCII));
                OutputStream out = socket.getOutputStream();
                reply(out, "220 via.test ESMTP ready");
                String helo = null;
                Mail mail = null;
                for (String line; (line = in.readLine()) != null; ) {
                    String upper = line.toUpperCase(Locale.ROOT);
                    if (upper.startsWith("HELO ") || upper.startsWith("EHLO ")) {
                        helo = line.substring(5).trim();
                        reply(out, "250 via.test");
                    } else if (upper.startsWith("MAIL FROM:")) {
                        mail = new Mail();
                        mail.helo = helo;
                        mail.from = line.substring(10).trim();
                        reply(out, "250 OK");
                    } else if (upper.startsWith("RCPT TO:") && mail != null) {
                        mail.to.add(line.substring(8).trim());
                        reply(out, "250 OK");
                    } else if (upper.equals("DATA") && mail != null && !mail.to.isEmpty()) {
                        reply(out, "354 End data with <CR><LF>.<CR><LF>");
                        StringBuilder data = new StringBuilder();
                        for (String d; (d = in.readLine()) != null && !d.equals("."); ) {
                            data.append(d.startsWith(".") ? d.substring(1) : d).append("\r\n");
                        }
                        mail.data = data.toString();
                        received.add(mail);
                        mail = null;
                        reply(out, "250 OK: queued");
                    } else if (upper.equals("RSET")) {
                        mail = null;
                        reply(out, "250 OK");
                    } else if (upper.equals("NOOP")) {
                        reply(out, "250 OK");
                    } else if (upper.equals("QUIT")) {
                        reply(out, "221 Bye");
                        return;
                    } else {
                        reply(out, "502 Command not implemented");
                    }
                }
            } catch (IOException e) {
                e.printStackTrace();
            }
        }

        private static void reply(OutputStream out, String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }
}
