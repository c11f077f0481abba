package io.viaemu.testapp;

/** A "worker program" that never becomes a worker: it only sleeps (bounded). For the child-never-starts test. */
public final class SleepingMain {
    public static void main(String[] args) throws Exception {
        System.out.println("SLEEPING-INSTEAD-OF-WORKING");
        Thread.sleep(120_000);
    }
}
