package io.viaemu.spring.boot.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import io.viaemu.ViaConfig;

/** ViaConfig has no equals: compare what it holds. */
final class ViaConfigs {
    private ViaConfigs() {
    }

    /** Every setting except the worker command (inferred, not configured). */
    static Map<String, Object> settings(ViaConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("baseDir", c.baseDir());
        m.put("triggers", c.triggers());
        m.put("pauser", c.pauser());
        m.put("connectTimeout", c.connectTimeout());
        m.put("handoverTimeout", c.handoverTimeout());
        m.put("childStartTimeout", c.childStartTimeout());
        m.put("pollInterval", c.pollInterval());
        m.put("peerTimeout", c.peerTimeout());
        m.put("rollCycle", c.rollCycle());
        m.put("blockSize", c.blockSize());
        m.put("maxMessageSize", c.maxMessageSize());
        m.put("maxConnections", c.maxConnections());
        m.put("connectionDiskQuota", c.connectionDiskQuota());
        m.put("sendWindow", c.sendWindow());
        m.put("retention", c.retention());
        m.put("workerPoolSize", c.workerPoolSize());
        m.put("workerJvmOptions", c.workerJvmOptions());
        m.put("workerClassDataSharing", c.workerClassDataSharing());
        m.put("workerMaxConnections", c.workerMaxConnections());
        m.put("workerMaxConnectionsJitter", c.workerMaxConnectionsJitter());
        m.put("workerConcurrency", c.workerConcurrency());
        m.put("workerMaxHeap", c.workerMaxHeap());
        m.put("workerMaxRss", c.workerMaxRss());
        m.put("workerHandlerTimeout", c.workerHandlerTimeout());
        m.put("workerIdleTimeout", c.workerIdleTimeout());
        return m;
    }

    /** The settings a worker receives as --via.* arguments (ConfigArgs leaves out pool size and JVM options). */
    static Map<String, Object> channelSettings(ViaConfig c) {
        Map<String, Object> m = settings(c);
        m.remove("workerPoolSize");
        m.remove("workerJvmOptions");
        return m;
    }
}
