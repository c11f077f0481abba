package io.viaemu.socket;

import java.util.Arrays;
import java.util.List;

import javax.net.SocketFactory;

import io.viaemu.socket.classic.ClassicUppercaseClient;

/**
 * Runs {@link ClassicUppercaseClient} in its own JVM: arguments {@code via|tcp HOST PORT LINE...}; prints
 * {@code REPLY <reply>} per reply, then {@code CLIENT DONE}; exit status 1 on failure.
 */
public final class ClassicClientMain {
    private ClassicClientMain() {
    }

    public static void main(String[] args) {
        SocketFactory factory = args[0].equals("via") ? ViaSocketFactory.fromSystemProperties()
                : SocketFactory.getDefault();
        try {
            List<String> replies = ClassicUppercaseClient.converse(factory, args[1], Integer.parseInt(args[2]),
                    Arrays.asList(args).subList(3, args.length));
            for (String r : replies) {
                System.out.println("REPLY " + r);
            }
            System.out.println("CLIENT DONE");
            System.out.flush();
            System.exit(0);
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.out.println("CLIENT FAILED " + t);
            System.out.flush();
            System.exit(1);
        }
    }
}
