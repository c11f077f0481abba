package io.viaemu.testapp;

import java.nio.file.Path;
import java.util.List;

import io.viaemu.ParentConnection;
import io.viaemu.ViaConfig;
import io.viaemu.ViaServer;
import io.viaemu.worker.WorkerMain;

/**
 * Forks every accepted connection to an {@link EchoHandler} worker and closes its own end (T1), printing
 * {@code FORKED id} for each. Args: base endpoint poolSize [workerClassPath].
 */
public final class ForkingEchoServerMain {
    public static void main(String[] args) throws Exception {
        ViaConfig config = TestConfigs.config(Path.of(args[0]), "T1", Integer.parseInt(args[2]));
        if (args.length > 3) {
            config = config.toBuilder().workerCommand(List.of("-cp", args[3], WorkerMain.class.getName())).build();
        }
        ViaServer server = ViaServer.listen(config, args[1]);
        System.out.println("LISTENING");
        while (true) {
            ParentConnection c = server.accept(0);
            c.fork(EchoHandler.class.getName());
            c.close();
            System.out.println("FORKED " + c.id());
        }
    }
}
