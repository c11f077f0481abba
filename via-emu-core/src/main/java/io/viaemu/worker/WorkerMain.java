package io.viaemu.worker;

import java.util.Map;

import io.viaemu.ViaConfig;
import io.viaemu.internal.ConfigArgs;
import io.viaemu.internal.JvmOptions;
import io.viaemu.internal.Layout;
import io.viaemu.transport.TransportFactory;

/**
 * The default worker program (no framework): handler names are {@link io.viaemu.ViaConnectionHandler} class names.
 * Arguments are those {@link WorkerLauncher} passes: {@code --via.*=value}.
 */
public final class WorkerMain {
    private WorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        JvmOptions.checkRequired();
        Map<String, String> m = ConfigArgs.parse(args);
        ViaConfig config = ConfigArgs.fromArgs(m);
        String endpoint = m.get(ConfigArgs.ENDPOINT);
        long workerId = Layout.parseId(m.get(ConfigArgs.WORKER_ID));
        new WorkerRuntime(config, TransportFactory.create(config), endpoint, workerId,
                HandlerResolver.byClassName()).run();
        System.exit(0);
    }
}
