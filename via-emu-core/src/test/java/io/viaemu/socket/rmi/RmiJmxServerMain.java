package io.viaemu.socket.rmi;

import java.lang.management.ManagementFactory;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMISocketFactory;
import java.rmi.server.UnicastRemoteObject;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;

/**
 * An RMI registry and a remote object, or a JMX connector server, over via-emu: every socket RMI opens comes from
 * {@link ViaRmiSocketFactory}. Arguments: {@code rmi|jmx REGISTRY_PORT LIFETIME_SECONDS}; prints {@code READY}.
 */
public final class RmiJmxServerMain {
    private RmiJmxServerMain() {
    }

    public static void main(String[] args) throws Exception {
        RMISocketFactory.setSocketFactory(new ViaRmiSocketFactory());
        int registryPort = Integer.parseInt(args[1]);
        Registry registry = LocateRegistry.createRegistry(registryPort);
        ReverserService service = new ReverserService();
        JMXConnectorServer jmx = null;
        if (args[0].equals("rmi")) {
            // port 0, as RMI exports by default: an ephemeral via-emu port, found by clients through the template
            Reverser stub = (Reverser) UnicastRemoteObject.exportObject(service, 0);
            registry.rebind("reverser", stub);
        } else {
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            mbs.registerMBean(service, new ObjectName("io.viaemu.test:type=Reverser"));
            jmx = JMXConnectorServerFactory.newJMXConnectorServer(new JMXServiceURL(
                    "service:jmx:rmi:///jndi/rmi://localhost:" + registryPort + "/jmxrmi"), null, mbs);
            jmx.start();
        }
        System.out.println("READY pid=" + ProcessHandle.current().pid());
        System.out.flush();
        Thread.sleep(Long.parseLong(args[2]) * 1000);
        if (jmx != null) {
            jmx.stop();
        }
        System.exit(0);
    }
}
