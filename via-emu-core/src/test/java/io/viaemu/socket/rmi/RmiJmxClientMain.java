package io.viaemu.socket.rmi;

import java.rmi.registry.LocateRegistry;
import java.rmi.server.RMISocketFactory;
import java.util.Arrays;
import java.util.Random;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Calls the {@link RmiJmxServerMain}'s remote object (RMI) or MBean (JMX) over via-emu with byte arrays of several
 * sizes (up to more than one via-emu document) and checks every result byte for byte. Arguments:
 * {@code rmi|jmx HOST REGISTRY_PORT}; prints {@code CALLS OK n=N server-pid=PID} or {@code CALLS FAILED ...}.
 */
public final class RmiJmxClientMain {
    private static final int[] SIZES = {0, 1, 255, 65_539, 3 * 1024 * 1024 + 1};

    private RmiJmxClientMain() {
    }

    public static void main(String[] args) {
        try {
            RMISocketFactory.setSocketFactory(new ViaRmiSocketFactory());
            String host = args[1];
            int port = Integer.parseInt(args[2]);
            Random random = new Random(42);
            long serverPid;
            int calls = 0;
            if (args[0].equals("rmi")) {
                Reverser reverser = (Reverser) LocateRegistry.getRegistry(host, port).lookup("reverser");
                serverPid = reverser.pid();
                for (int size : SIZES) {
                    byte[] argument = new byte[size];
                    random.nextBytes(argument);
                    check(size, argument, reverser.reverse(argument));
                    calls++;
                }
            } else {
                JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + host + ":" + port + "/jmxrmi");
                try (JMXConnector connector = JMXConnectorFactory.connect(url)) {
                    MBeanServerConnection mbs = connector.getMBeanServerConnection();
                    ObjectName name = new ObjectName("io.viaemu.test:type=Reverser");
                    serverPid = (Long) mbs.getAttribute(name, "Pid");
                    for (int size : SIZES) {
                        byte[] argument = new byte[size];
                        random.nextBytes(argument);
                        byte[] result = (byte[]) mbs.invoke(name, "reverse", new Object[] {argument},
                                new String[] {byte[].class.getName()});
                        check(size, argument, result);
                        calls++;
                    }
                }
            }
            if (serverPid == ProcessHandle.current().pid()) {
                throw new AssertionError("the call was served in this JVM");
            }
            System.out.println("CALLS OK n=" + calls + " server-pid=" + serverPid);
            System.out.flush();
            System.exit(0);
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.out.println("CALLS FAILED " + t);
            System.out.flush();
            System.exit(1);
        }
    }

    private static void check(int size, byte[] argument, byte[] result) {
        byte[] expected = new byte[argument.length];
        for (int i = 0; i < argument.length; i++) {
            expected[i] = argument[argument.length - 1 - i];
        }
        if (!Arrays.equals(expected, result)) {
            throw new AssertionError("the result of reversing " + size + " bytes differs from the expected bytes");
        }
    }
}
