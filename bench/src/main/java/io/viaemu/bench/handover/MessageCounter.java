package io.viaemu.bench.handover;

import java.util.Properties;

/** Counts numbered messages: how many, first and last number, and how many did not follow their predecessor. */
final class MessageCounter {
    long count;
    long first = -1;
    long last = -1;
    long outOfOrder;

    void add(long seq) {
        if (count == 0) {
            first = seq;
        } else if (seq != last + 1) {
            outOfOrder++;
        }
        last = seq;
        count++;
    }

    String toProperties() {
        return "count=" + count + "\nfirst=" + first + "\nlast=" + last + "\noutOfOrder=" + outOfOrder + "\n";
    }

    static MessageCounter from(Properties p) {
        MessageCounter m = new MessageCounter();
        m.count = Long.parseLong(p.getProperty("count"));
        m.first = Long.parseLong(p.getProperty("first"));
        m.last = Long.parseLong(p.getProperty("last"));
        m.outOfOrder = Long.parseLong(p.getProperty("outOfOrder"));
        return m;
    }
}
