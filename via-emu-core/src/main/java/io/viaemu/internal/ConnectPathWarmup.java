package io.viaemu.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads and initialises, ahead of the first connection, the classes a server's acceptor needs to grant one: in a
 * fresh JVM the first grant otherwise loads, verifies and initialises ~55 classes from the jar and seeds the id
 * generator ({@code SecureRandom} then, /dev/urandom read directly now), ~30-40 ms on this 2-core machine that the first client waits for (measured
 * with async-profiler's wall clock on the acceptor thread; see README, "Connects, connection rate and first
 * connect"). A TCP server has nothing of the kind to pay: the kernel answers the handshake. Run once by the
 * acceptor thread before it reads the listen queue; nothing here has an effect but loading (a class that is not
 * there, in a trimmed build, is skipped).
 */
public final class ConnectPathWarmup {
    private static final Logger log = LoggerFactory.getLogger(ConnectPathWarmup.class);

    /**
     * What a fresh server loaded between a CONNECT and its connection's close (-Xlog:class+load), in that order;
     * the listen side's classes (transport, dispatcher, messages' reader) are loaded by listening already.
     */
    private static final String[] SERVER_CLASSES = {
        "io.viaemu.protocol.ControlMessages$ControlMessage",
        "io.viaemu.protocol.ControlMessages$Connect",
        "io.viaemu.protocol.ControlMessages",
        "io.viaemu.protocol.FlagBlock",
        "io.viaemu.protocol.Coordination",
        "io.viaemu.protocol.FlagBlock$Word",
        "io.viaemu.transport.Transport$SegmentCounter",
        "io.viaemu.protocol.FlagBlock$Owner",
        "io.viaemu.protocol.BufferCoordination",
        "io.viaemu.protocol.MappedCoordination",
        "io.viaemu.protocol.ConnectionState",
        "io.viaemu.protocol.SlotChannel",
        "io.viaemu.protocol.ConnectionQueues",
        "io.viaemu.protocol.ParentRole",
        "io.viaemu.protocol.InboundStream$Owner",
        "io.viaemu.protocol.OutboundStream$Owner",
        "io.viaemu.protocol.IllegalTransitionException",
        "io.viaemu.protocol.ParentRole$ChildWorker",
        "io.viaemu.protocol.StateMachine$Step",
        "io.viaemu.protocol.ParentRole$State",
        "io.viaemu.ConnectionHandedOverException",
        "io.viaemu.protocol.StateMachine$Table",
        "io.viaemu.protocol.StateMachine$Label",
        "io.viaemu.protocol.RoleEnvironment",
        "io.viaemu.protocol.RoleEnvironment$Housekeeping",
        "io.viaemu.protocol.Messages$Writer",
        "io.viaemu.ConnectionStreams",
        "io.viaemu.ViaConnection$Role",
        "io.viaemu.protocol.InboundStream",
        "io.viaemu.protocol.ConnectionEnd$InputHooks",
        "io.viaemu.protocol.OutboundStream",
        "io.viaemu.protocol.ConnectionEnd$OutputHooks",
        "io.viaemu.PauserKind",
        "io.viaemu.transport.Channel$SpaceWait",
        "io.viaemu.protocol.HandoverCompletion",
        "io.viaemu.protocol.StateMachine",
        "io.viaemu.protocol.ControlMessages$Grant",
        "io.viaemu.internal.ProcessLiveness$Peer",
        "io.viaemu.internal.Processes$Stat",
        "io.viaemu.internal.Processes$Known",
        "io.viaemu.protocol.ControlMessages$Close",
        "io.viaemu.protocol.ConnectionEnd$ClosedEndWatch",
        // loaded inside the first onConnect after the list above was taken (-Xlog:class+load, 2026-12-03)
        "io.viaemu.protocol.FlagBlock$1",
        "io.viaemu.protocol.RoleEnvironment$1",
        "io.viaemu.ConnectionStreams$1",
        "io.viaemu.ConnectionStreams$2",
        "io.viaemu.protocol.SlotChannel$1",
        "io.viaemu.internal.ProcessExitWatch$Register",
        "io.viaemu.internal.Housekeeper$Entry",
        "io.viaemu.ServerAcceptor$ServedSlot",
        "java.util.concurrent.locks.AbstractQueuedSynchronizer$ExclusiveNode",
        "java.util.JumboEnumSet",
        "java.nio.ByteBufferAsLongBufferB",
        "sun.nio.ch.ChannelInputStream",
    };

    private ConnectPathWarmup() {
    }

    /** Loads the server's grant path (see the class comment); returns the classes loaded, for the log. */
    public static int server() {
        ClassLoader loader = ConnectPathWarmup.class.getClassLoader();
        int loaded = 0;
        for (String name : SERVER_CLASSES) {
            try {
                Class.forName(name, true, loader);
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                log.debug("connect path warm-up: {} not loaded ({})", name, e.toString());
            }
        }
        Layout.randomId(); // the first read of /dev/urandom for grant tokens and ids (RandomIds)
        return loaded;
    }
}
