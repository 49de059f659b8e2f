package org.minimeter.gateway.app;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.mqtt.Discovery;
import org.minimeter.gateway.mqtt.HealthReport;
import org.minimeter.gateway.mqtt.MqttLink;
import org.minimeter.gateway.mqtt.MqttSettings;
import org.minimeter.gateway.mqtt.Payloads;
import org.minimeter.gateway.mqtt.Topics;
import org.minimeter.gateway.outputs.PulseEvent;
import org.minimeter.gateway.persistence.Outbox;
import org.minimeter.gateway.persistence.RegisterState;

/**
 * Publishes one meter to MQTT. QoS 1 messages (energy, pulse, health, alarm) are appended to
 * the durable outbox and a pump sends them in order while connected, removing each only
 * on the broker's PUBACK; after a reconnect or a restart it starts again from the oldest
 * unacknowledged one, so delivery is at least once and in order. Power (QoS 0) and the
 * status and discovery topics (retained, re-sent on every connect) bypass the outbox.
 *
 * <p>Energy is always the durable register, so a subscriber never sees it go down: after a
 * reconnect, an energy (or health) message that a newer one of the same kind follows in
 * the outbox is retired unsent, so a re-sent older value can never arrive after a newer one.
 */
public final class MqttPublisher implements MqttLink.Listener {

    private static final Logger LOG = Logger.getLogger(MqttPublisher.class);
    /** QoS 1 messages in flight at once: enough to keep a LAN busy, few to re-send. */
    static final int WINDOW = 32;

    private final MeterRuntime meter;
    private final Outbox outbox;
    private final Topics topics;
    private final MqttLink link;
    private final Clock wall;
    private final List<Discovery.Config> discovery;
    private final Duration energyInterval;
    private final Duration powerInterval;
    private final Duration healthInterval;
    private final double sampleRate;
    private final ScheduledExecutorService scheduler;
    private final Object lock = new Object();
    private final Set<Long> inFlight = new HashSet<>();
    private long lastSent = -1;
    private long generation;
    private long droppedSeen;
    private volatile boolean running;
    private Thread pump;

    public MqttPublisher(MeterRuntime meter, Outbox outbox, MqttSettings settings, List<Discovery.Config> discovery,
            Duration energyInterval, Duration powerInterval, Duration healthInterval, double sampleRate, Clock wall) {
        this.meter = meter;
        this.outbox = outbox;
        this.topics = new Topics(settings.topicPrefix(), meter.id(), settings.discoveryPrefix());
        // The link calls back only after start().
        this.link = new MqttLink(settings, topics, this);
        this.discovery = List.copyOf(discovery);
        this.energyInterval = energyInterval;
        this.powerInterval = powerInterval;
        this.healthInterval = healthInterval;
        this.sampleRate = sampleRate;
        this.wall = wall;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "mqtt-" + meter.id()));
    }

    public void start() {
        running = true;
        meter.addPulseListener(this::onPulse);
        meter.addAlarmListener(this::onAlarm);
        link.onHomeAssistantStatus(s -> {
            if ("online".equals(s.trim())) {
                LOG.infof("MQTT: Home Assistant came online; sending discovery again");
                submit(this::publishDiscovery);
            }
        });
        pump = new Thread(this::pump, "mqtt-outbox-" + meter.id());
        pump.start();
        long e = energyInterval.toMillis();
        scheduler.scheduleAtFixedRate(guard(this::enqueueEnergy), e, e, TimeUnit.MILLISECONDS);
        long p = powerInterval.toMillis();
        scheduler.scheduleAtFixedRate(guard(this::publishPower), p, p, TimeUnit.MILLISECONDS);
        long h = healthInterval.toMillis();
        scheduler.scheduleAtFixedRate(guard(this::enqueueHealth), h, h, TimeUnit.MILLISECONDS);
        // The retained state a restart must not leave stale: energy and health right away.
        scheduler.execute(guard(this::enqueueEnergy));
        scheduler.execute(guard(this::enqueueHealth));
        link.start();
    }

    private Runnable guard(Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (RuntimeException ex) {
                LOG.errorf(ex, "MQTT: publishing task failed for meter %s; it runs again next time", meter.id());
            }
        };
    }

    // --- what goes in

    // The outbox's file channels must never be touched by a thread that gets interrupted (an
    // interrupt closes a FileChannel for good): the register thread is stopped without one.

    /**
     * On the register thread, before the save that makes these pulses durable: appended (and
     * fsynced) here and now, so a kill right after the save cannot lose them.
     */
    private void onPulse(PulseEvent e) {
        enqueue(Outbox.Kind.PULSE, topics.pulse(), Payloads.pulse(e), false);
    }

    private void onAlarm(AlarmEvent a) {
        byte[] payload = Payloads.alarm(a, wall.instant());
        submit(() -> enqueue(Outbox.Kind.ALARM, topics.alarm(), payload, false));
    }

    void enqueueEnergy() {
        RegisterState d = meter.durable();
        enqueue(Outbox.Kind.ENERGY, topics.energy(), Payloads.energy(d.energy(), wall.instant()), true);
    }

    void enqueueHealth() {
        enqueue(Outbox.Kind.HEALTH, topics.health(), Payloads.health(health()), true);
    }

    HealthReport health() {
        var stats = meter.stats();
        var outboxStats = outbox.stats();
        RegisterState d = meter.durable();
        return new HealthReport(wall.instant(), meter.uptimeSeconds(), sampleRate, stats.windows(),
                stats.droppedSamples(), stats.rejectedBlocks(), meter.loopFailures(), link.reconnects(),
                link.protocol(), outboxStats.depth(), outboxStats.dropped(), d.savedAt(), d.generation(),
                meter.activeAlarms());
    }

    private void publishPower() {
        Measurement m = meter.latest();
        if (m != null && link.isConnected()) {
            link.publish(topics.power(), Payloads.power(m, wall.instant()), 0, false);
        }
    }

    private void publishDiscovery() {
        if (!link.isConnected()) {
            return;
        }
        for (Discovery.Config c : discovery) {
            link.publish(c.topic(), c.payload(), 1, true);
        }
    }

    private void enqueue(Outbox.Kind kind, String topic, byte[] payload, boolean retain) {
        outbox.append(List.of(new Outbox.Message(0, kind, topic, payload, 1, retain)));
        long dropped = outbox.stats().dropped();
        if (dropped > droppedSeen) {
            synchronized (lock) {
                if (dropped > droppedSeen) {
                    LOG.errorf("MQTT: outbox for %s is full (mqtt.outbox-max-mb); %d older message(s) dropped so far"
                            + " (health first, then superseded energy)", meter.id(), dropped);
                    droppedSeen = dropped;
                }
            }
        }
        wake();
    }

    private void wake() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    // --- the link tells us

    @Override
    public void connected(String protocol) {
        synchronized (lock) {
            generation++;
            lastSent = -1;
            inFlight.clear();
            lock.notifyAll();
        }
        submit(this::publishDiscovery);
        submit(this::enqueueEnergy);
        submit(this::enqueueHealth);
    }

    /** Runs a task on the publisher's thread unless it is stopping. */
    private void submit(Runnable task) {
        if (!scheduler.isShutdown()) {
            try {
                scheduler.execute(guard(task));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping: the final energy and health are queued by stop()
            }
        }
    }

    @Override
    public void disconnected(String reason) {
        wake();
    }

    // --- the pump

    private void pump() {
        while (running) {
            try {
                if (!sendSome()) {
                    synchronized (lock) {
                        if (running) {
                            lock.wait(200);
                        }
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.errorf(e, "MQTT: outbox pump for %s failed; retrying", meter.id());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Sends what the window allows; false when there was nothing to do. */
    private boolean sendSome() {
        long gen;
        long after;
        int room;
        synchronized (lock) {
            if (!link.isConnected()) {
                return false;
            }
            room = WINDOW - inFlight.size();
            gen = generation;
            after = lastSent;
        }
        if (room <= 0) {
            return false;
        }
        List<Outbox.Message> pending = outbox.peek(WINDOW * 4);
        List<Outbox.Message> toSend = new ArrayList<>();
        Map<Outbox.Kind, Long> newest = new HashMap<>();
        for (Outbox.Message m : pending) {
            if (m.kind() == Outbox.Kind.ENERGY || m.kind() == Outbox.Kind.HEALTH) {
                newest.put(m.kind(), m.seq());
            }
        }
        for (Outbox.Message m : pending) {
            if (m.seq() <= after) {
                continue;
            }
            Long latest = newest.get(m.kind());
            if (latest != null && m.seq() < latest) {
                // Superseded retained state: the newer message says all this one did.
                outbox.acknowledge(m.seq());
                continue;
            }
            toSend.add(m);
            if (toSend.size() >= room) {
                break;
            }
        }
        if (toSend.isEmpty()) {
            return false;
        }
        for (Outbox.Message m : toSend) {
            synchronized (lock) {
                if (gen != generation) {
                    return true;
                }
                inFlight.add(m.seq());
                lastSent = m.seq();
            }
            link.publish(m.topic(), m.payload(), m.qos(), m.retain()).whenComplete((v, ex) -> done(m, gen, ex));
        }
        return true;
    }

    private void done(Outbox.Message m, long gen, Throwable ex) {
        try {
            settle(m, ex);
        } catch (RuntimeException e) {
            // The ack journal could not be written: the message stays and is sent again.
            LOG.errorf("MQTT: recording the broker's acknowledgement of %s failed: %s", m.topic(), e.getMessage());
        }
        synchronized (lock) {
            if (gen == generation) {
                inFlight.remove(m.seq());
            }
            lock.notifyAll();
        }
    }

    private void settle(Outbox.Message m, Throwable ex) {
        Throwable cause = ex instanceof CompletionException && ex.getCause() != null ? ex.getCause() : ex;
        if (cause == null) {
            outbox.acknowledge(m.seq());
        } else if (cause instanceof MqttLink.BrokerRejectedException) {
            // The broker will never take it (ACL, quota): keeping it would stall everything behind it.
            outbox.acknowledge(m.seq());
            LOG.errorf("MQTT: %s refused by the broker (%s); dropped, counted", m.topic(), cause.getMessage());
        }
        // Any other failure is a lost connection: the message stays and is sent again after reconnect.
    }

    public Outbox.Stats outboxStats() {
        return outbox.stats();
    }

    public boolean connected() {
        return link.isConnected();
    }

    public Topics topics() {
        return topics;
    }

    /**
     * Clean stop: the final energy and health go in, the outbox gets a moment to drain, then
     * {@code offline} is published and the link closes. What is not delivered stays on disk.
     */
    public void stop(Duration drain) {
        scheduler.execute(guard(this::enqueueEnergy));
        scheduler.execute(guard(this::enqueueHealth));
        scheduler.shutdown();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long deadline = System.nanoTime() + drain.toNanos();
        while (link.isConnected() && outbox.stats().depth() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        running = false;
        wake();
        if (pump != null) {
            try {
                pump.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        link.close();
        LOG.infof("MQTT: %s stopped; %d message(s) left in the outbox for the next start", meter.id(),
                outbox.stats().depth());
        outbox.close();
    }
}
