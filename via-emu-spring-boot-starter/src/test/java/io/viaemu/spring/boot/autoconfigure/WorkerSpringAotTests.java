package io.viaemu.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * When worker JVMs get {@code -Dspring.aot.enabled=true}. This module's class path has no AOT-generated classes;
 * workers that do run on them: the sample's tests (its build runs process-aot in worker mode).
 */
class WorkerSpringAotTests {

    @Test
    void autoUsesAotOnlyWhereTheBuildProcessedWorkerMode() {
        assertThat(ViaAutoConfiguration.workerSpringAot(ViaProperties.SpringAot.AUTO, List.of())).isFalse();
    }

    @Test
    void onWithoutWorkerModeDefinitionsRefusesToStartSayingHowToGenerateThem() {
        assertThatThrownBy(() -> ViaAutoConfiguration.workerSpringAot(ViaProperties.SpringAot.ON, List.of()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("process-aot")
                .hasMessageContaining("--via.worker.id");
    }

    @Test
    void offAndTheUsersOwnChoiceAddNothing() {
        assertThat(ViaAutoConfiguration.workerSpringAot(ViaProperties.SpringAot.OFF, List.of())).isFalse();
        assertThat(ViaAutoConfiguration.workerSpringAot(ViaProperties.SpringAot.ON,
                List.of("-Dspring.aot.enabled=false"))).isFalse();
    }
}
