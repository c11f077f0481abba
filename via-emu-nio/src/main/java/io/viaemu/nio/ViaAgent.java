package io.viaemu.nio;

import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.nio.channels.spi.SelectorProvider;

import io.viaemu.socket.JvmWideSockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches a whole program over to via-emu before its {@code main} runs:
 * {@code java -javaagent:via-emu-nio.jar -Dvia.conf=rules.conf -jar unchanged-app.jar} (via-emu's JVM options as
 * well). It reads the rules file, installs the JVM-wide classic socket factories, and makes sure the JVM's NIO
 * provider is the via-emu one (the jar carries it in {@code META-INF/services}); an agent argument names the rules
 * file too ({@code -javaagent:via-emu-nio.jar=rules.conf}). No bytecode is changed: the agent only runs first.
 */
public final class ViaAgent {
    private static final Logger log = LoggerFactory.getLogger(ViaAgent.class);

    private ViaAgent() {
    }

    public static void premain(String args, Instrumentation instrumentation) {
        premain(args);
    }

    public static void premain(String args) {
        if (args != null && !args.isBlank() && System.getProperty(ViaRules.PROPERTY) == null) {
            System.setProperty(ViaRules.PROPERTY, args.trim());
        }
        SelectorProvider provider = SelectorProvider.provider(); // ours (services file): installs the classic hooks
        if (!(provider instanceof ViaSelectorProvider)) {
            log.warn("via-emu agent: the JVM's SelectorProvider is {}, not via-emu's (another provider is named by "
                    + "-Djava.nio.channels.spi.SelectorProvider?): NIO stays on TCP; classic sockets only", provider);
            ViaRules rules = ViaRules.fromSystemProperty();
            if (rules != null) {
                install(rules, ViaSelectorProvider.platformProvider());
            }
        } else if (!((ViaSelectorProvider) provider).isActive()) {
            log.warn("via-emu agent: no rules file (-D{}=FILE or -javaagent:via-emu-nio.jar=FILE): nothing switched "
                    + "over", ViaRules.PROPERTY);
        }
    }

    /** Installs the classic socket factories for the provider's rules (once per JVM). */
    static void installClassicFactories(ViaSelectorProvider provider) {
        install(provider.rules(), provider.platform());
    }

    private static void install(ViaRules rules, SelectorProvider platform) {
        try {
            JvmWideSockets.install(rules.config(), rules.connectMap(), rules.bindMap(), platform);
        } catch (IOException e) {
            // another library installed its own factory first: NIO is switched over, classic sockets are not
            log.warn("via-emu: classic sockets not switched over ({}); NIO channels are", e.toString());
        }
    }
}
