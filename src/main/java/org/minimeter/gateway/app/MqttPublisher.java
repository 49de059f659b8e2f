package org.minimeter.gateway.app;

import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.minimeter.gateway.metering.AlarmEvent;
import org.minimeter.gateway.metering.DurationTally;
import org.minimeter.gateway.metering.Measurement;
import org.minimeter.gateway.mqtt.Discovery;
import org.minimeter.gateway.mqtt.HealthReport;
import org.minimeter.gateway.mqtt.MqttLink;
import org.minimeter.gateway.mqtt.MqttSettings;
import org.minimeter.gateway.mqtt.Payloads;
import org.minimeter.gateway.mqtt.Topics;
import org.minimeter.gateway.outputs.PulseEvent;
import org.minimeter.gateway.persistence.Outbox;

/**
 * Publishes every meter of the gateway over one MQTT session and one durable outbox. QoS 1
 * messages (energy, pulse, health, alarm) are appended to the outbox and one pump sends them
 * in order while connected, removing each only on the broker's PUBACK; after a reconnect or
 * a restart it starts again from the oldest unacknowledged one, so delivery is at least once
 * and in order per meter. Power (QoS 0), each meter's status and discovery (retained, re-sent
 * on every connect) bypass the outbox.
 *
 * <p>Energy is always the durable register, so a subscriber never sees it go down: after a
 * reconnect, an energy (or health) message that a newer one for the same topic follows in
 * the outbox is retired unsent, so a re-sent older value can never arrive after a newer one.
 *
 * <p>Appends are not forced one by one: a group commit every {@value #COMMIT_MS} ms (and the
 * register saver's own, before it writes registers past new pulses) bounds the fsyncs per
 * second whatever the number of meters.
 */
public final class MqttPublisher implements MqttLink.Listener, PulseSink {

    private static final Logger LOG = Logger.getLogger(MqttPublisher.class);
    /** QoS 1 messages in flight at once: enough to keep a LAN busy, few to re-send. */
    static final int WINDOW = 32;
    static final long COMMIT_MS = 200;

    /** Read by several threads; an entry is replaced when its meter restarts. */
    private final Map<String, PublishedMeter> meters = new java.util.concurrent.ConcurrentHashMap<>();
    private final Outbox outbox;
    private final MqttLink link;
    private final String gatewayStatusTopic;
    private final Clock wall;
    private final Duration energyInterval;
    private final Duration powerInterval;
    private final Duration healthInterval;
    private final ScheduledExecutorService scheduler;
    private final Object lock = new Object();
    private final Set<Long> inFlight = new HashSet<>();
    /** Per energy or health topic, the newest message appended by this process. */
    private final Map<String, Long> newestRetained = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Broker acknowledgements, recorded in the outbox by the pump thread: the client's callback
     * threads must not do file I/O (an interrupt there would close the outbox's files for good).
     */
    private final java.util.Queue<Long> acks = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Availability last published per meter; cleared on every connect so it is sent again. */
    private final Map<String, Boolean> shownAvailable = new HashMap<>();
    /** From handing an outbox message to the client to the broker's PUBACK, for those acknowledged. */
    private final DurationTally publishLatency = new DurationTally();
    private long lastSent = -1;
    private long generation;
    private long droppedSeen;
    private volatile boolean running;
    private Thread pump;

    /**
     * @param gatewayTopics the gateway's own topics: its status is the session's birth and last will
     */
    public MqttPublisher(List<PublishedMeter> meters, Outbox outbox, MqttSettings settings, Topics gatewayTopics,
            Duration energyInterval, Duration powerInterval, Duration healthInterval, Clock wall) {
        for (PublishedMeter m : meters) {
            this.meters.put(m.id(), m);
        }
        this.outbox = outbox;
        this.gatewayStatusTopic = gatewayTopics.status();
        // The link calls back only after start().
        this.link = new MqttLink(settings, gatewayStatusTopic, gatewayTopics.homeAssistantStatus(), this);
        this.energyInterval = energyInterval;
        this.powerInterval = powerInterval;
        this.healthInterval = healthInterval;
        this.wall = wall;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mqtt-publish");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        running = true;
        for (PublishedMeter m : meters.values()) {
            m.meter().addAlarmListener(a -> onAlarm(m, a));
        }
        link.onHomeAssistantStatus(s -> {
            if ("online".equals(s.trim())) {
                LOG.infof("MQTT: Home Assistant came online; sending discovery again");
                submit(this::publishDiscovery);
            }
        });
        // The retained state a restart must not leave stale: energy and health, appended before
        // the pump can send anything, so an older energy still waiting in the outbox (a power cut
        // lost its acknowledgement) is superseded by this one however fast the connection comes.
        guard(this::enqueueEnergy).run();
        guard(this::enqueueHealth).run();
        pump = new Thread(this::pump, "mqtt-outbox");
        pump.setDaemon(true);
        pump.start();
        long e = energyInterval.toMillis();
        scheduler.scheduleAtFixedRate(guard(this::enqueueEnergy), e, e, TimeUnit.MILLISECONDS);
        long p = powerInterval.toMillis();
        scheduler.scheduleAtFixedRate(guard(this::publishPower), p, p, TimeUnit.MILLISECONDS);
        long h = healthInterval.toMillis();
        scheduler.scheduleAtFixedRate(guard(this::enqueueHealth), h, h, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(guard(this::sync), COMMIT_MS, COMMIT_MS, TimeUnit.MILLISECONDS);
        link.start();
    }

    /**
     * Runs a task, logging a failure once per cause: a periodic task failing every interval
     * (a full disk under the outbox) says so once, and once more when it succeeds again.
     */
    private Runnable guard(Runnable r) {
        return new Runnable() {
            private String lastFailure;

            @Override
            public void run() {
                try {
                    r.run();
                    if (lastFailure != null) {
                        lastFailure = null;
                        LOG.info("MQTT: a publishing task that failed succeeds again");
                    }
                } catch (RuntimeException ex) {
                    String cause = String.valueOf(ex.getMessage());
                    if (!cause.equals(lastFailure)) {
                        lastFailure = cause;
                        LOG.errorf("MQTT: publishing task failed (%s); it runs again next time, and this cause is"
                                + " not logged again until it changes", cause);
                    }
                }
            }
        };
    }

    // --- what goes in

    // The outbox's file channels must never be touched by a thread that gets interrupted (an
    // interrupt closes a FileChannel for good): the threads that call in are stopped without one.

    /** From the register saver, before the save that makes these pulses durable (then {@link #sync()}). */
    @Override
    public void pulses(MeterRuntime meter, List<PulseEvent> events) {
        PublishedMeter m = meters.get(meter.id());
        String topic = m != null ? m.topics().pulse() : meter.id() + "/pulse";
        List<Outbox.Message> batch = new ArrayList<>(events.size());
        for (PulseEvent e : events) {
            batch.add(message(Outbox.Kind.PULSE, topic, Payloads.pulse(e), false));
        }
        append(batch);
    }

    /** Makes everything appended so far durable: one fsync for every meter's messages. */
    @Override
    public void sync() {
        outbox.sync();
    }

    private void onAlarm(PublishedMeter m, AlarmEvent a) {
        byte[] payload = Payloads.alarm(a, wall.instant());
        submit(() -> append(List.of(message(Outbox.Kind.ALARM, m.topics().alarm(), payload, false))));
    }

    void enqueueEnergy() {
        List<Outbox.Message> batch = new ArrayList<>(meters.size());
        for (PublishedMeter m : meters.values()) {
            batch.add(message(Outbox.Kind.ENERGY, m.topics().energy(),
                    Payloads.energy(m.meter().durable().energy(), wall.instant()), true));
        }
        append(batch);
    }

    void enqueueHealth() {
        List<Outbox.Message> batch = new ArrayList<>(meters.size());
        for (PublishedMeter m : meters.values()) {
            batch.add(message(Outbox.Kind.HEALTH, m.topics().health(), Payloads.health(health(m)), true));
        }
        append(batch);
    }

    HealthReport health(PublishedMeter pm) {
        MeterStatus s = status(pm.meter(), List.of());
        return new HealthReport(s.ts(), s.uptimeSeconds(), s.sampleRateHz(), s.windows(), s.droppedSamples(),
                s.rejectedBlocks(), s.loopFailures(), s.reconnects(), s.mqttProtocol(), s.outboxDepth(),
                s.outboxDropped(), s.lastRegisterSave(), s.registerGeneration(), s.activeAlarms());
    }

    /** The one status record of {@code meter} (see {@link MeterStatus}). */
    public MeterStatus status(MeterRuntime meter, List<String> threadProblems) {
        var stats = meter.stats();
        var outboxStats = outbox.stats();
        var d = meter.durable();
        boolean ended = meter.activeAlarms().contains(org.minimeter.gateway.metering.Condition.SOURCE_ENDED.key());
        return new MeterStatus(meter.id(), wall.instant(), meter.uptimeSeconds(), meter.spec().sampleRate(),
                stats.windows(), stats.droppedSamples(), stats.rejectedBlocks(), meter.loopFailures(),
                meter.frontEndFaults(), meter.available(), ended, meter.sourceProblem(), meter.registerProblem(),
                threadProblems, d.savedAt(), d.generation(), meter.saves(), link.isConnected(), link.protocol(),
                link.reconnects(), outboxStats.depth(), outboxStats.dropped(), !meter.refusedByOutbox(),
                meter.activeAlarms(), meter.latchedAlarms());
    }

    /**
     * Publishes for {@code fresh} instead of the meter of the same id it replaces (a restart),
     * with the same topics and discovery. Call before the fresh meter's alarms are dispatched.
     */
    public void replace(MeterRuntime fresh) {
        PublishedMeter old = meters.get(fresh.id());
        if (old == null) {
            throw new IllegalArgumentException("no meter " + fresh.id() + " is published");
        }
        PublishedMeter pm = old.withMeter(fresh);
        meters.put(fresh.id(), pm);
        if (running) {
            fresh.addAlarmListener(a -> onAlarm(pm, a));
        }
    }

    /**
     * Sends every meter's Home Assistant discovery again (an operator's action, e.g. after
     * Home Assistant lost its retained configuration); false when the broker is not connected.
     */
    public boolean resendDiscovery() {
        if (!link.isConnected()) {
            return false;
        }
        submit(this::publishDiscovery);
        return true;
    }

    /**
     * The broker this gateway publishes to, {@code host:port}: with a list of brokers (a
     * cluster) the one connected to, or while disconnected the one tried next.
     */
    public String broker() {
        return link.broker().toString();
    }

    private void publishPower() {
        if (!link.isConnected()) {
            return;
        }
        publishAvailability();
        for (PublishedMeter m : meters.values()) {
            Measurement latest = m.meter().latest();
            if (latest != null && m.meter().available()) {
                link.publish(m.topics().power(), Payloads.power(latest, wall.instant()), 0, false);
            }
        }
    }

    /** Each meter's own status, retained, on change and after every connect. */
    private void publishAvailability() {
        for (PublishedMeter m : meters.values()) {
            boolean available = m.meter().available();
            Boolean shown = shownAvailable.get(m.id());
            if (shown == null || shown != available) {
                if (shown != null) {
                    LOG.infof("MQTT: meter %s is %s", m.id(), available ? "available again"
                            : "unavailable (" + m.meter().sourceProblem() + ")");
                }
                link.publishStatus(m.topics().status(), available);
                shownAvailable.put(m.id(), available);
            }
        }
    }

    private void publishDiscovery() {
        if (!link.isConnected()) {
            return;
        }
        for (PublishedMeter m : meters.values()) {
            if (m.device().isEmpty()) {
                continue;
            }
            if (!m.migration().isEmpty() && !Files.exists(m.migrated())) {
                migrate(m);
            } else {
                Discovery.Config c = m.device().get();
                link.publish(c.topic(), c.payload(), 1, true);
            }
        }
    }

    /**
     * Home Assistant's documented move from per-sensor to device discovery, in order on the
     * one session: migrate each old topic, the device config, then clear the old topics. Once
     * the broker has acknowledged all of it, a marker beside the register says it is done; a
     * disconnect before that repeats the whole sequence next time, which HA accepts.
     */
    private void migrate(PublishedMeter m) {
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (Discovery.Step step : m.migration()) {
            sent.add(link.publish(step.topic(), step.payload(), 1, step.retain()));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).whenComplete((v, ex) -> {
            if (ex != null) {
                return;
            }
            try {
                Files.writeString(m.migrated(), wall.instant() + " Home Assistant discovery migrated to "
                        + m.device().get().topic() + "\n");
                LOG.infof("MQTT: Home Assistant discovery of %s moved to %s (old per-sensor topics cleared)",
                        m.id(), m.device().get().topic());
            } catch (IOException e) {
                LOG.warnf("MQTT: could not record the discovery migration of %s (%s); it is repeated next connect",
                        m.id(), e.getMessage());
            }
        });
    }

    private static Outbox.Message message(Outbox.Kind kind, String topic, byte[] payload, boolean retain) {
        return new Outbox.Message(0, kind, topic, payload, 1, retain);
    }

    private void append(List<Outbox.Message> batch) {
        if (batch.isEmpty()) {
            return;
        }
        for (Outbox.Message m : outbox.appendLater(batch)) {
            if (m.kind() == Outbox.Kind.ENERGY || m.kind() == Outbox.Kind.HEALTH) {
                newestRetained.merge(m.topic(), m.seq(), Math::max);
            }
        }
        long dropped = outbox.stats().dropped();
        if (dropped > droppedSeen) {
            synchronized (lock) {
                if (dropped > droppedSeen) {
                    LOG.errorf("MQTT: the outbox is full (mqtt.outbox-max-mb); %d older message(s) dropped so far"
                            + " (health first, then superseded energy)", dropped);
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
        submit(() -> {
            shownAvailable.clear();
            publishAvailability();
        });
        submit(this::publishDiscovery);
        submit(this::enqueueEnergy);
        submit(this::enqueueHealth);
    }

    /** Runs a task on the publisher's thread unless it is stopping. */
    private void submit(Runnable task) {
        if (!scheduler.isShutdown()) {
            try {
                scheduler.execute(guard(task));
            } catch (RejectedExecutionException e) {
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
                recordAcks();
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
                LOG.errorf(e, "MQTT: outbox pump failed; retrying");
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
        // Retained state per topic: only the newest of a topic's energy or health is worth sending.
        // Also every newer one appended since this process started, however far behind it waits:
        // after a power cut that lost an older energy's acknowledgement but kept a newer one's,
        // the older must not be sent after the newer.
        Map<String, Long> newest = new HashMap<>();
        for (Outbox.Message m : pending) {
            if (m.kind() == Outbox.Kind.ENERGY || m.kind() == Outbox.Kind.HEALTH) {
                newest.merge(m.topic(), m.seq(), Math::max);
            }
        }
        for (Outbox.Message m : pending) {
            if (m.seq() <= after) {
                continue;
            }
            Long latest = newest.get(m.topic());
            Long appended = m.kind() == Outbox.Kind.ENERGY || m.kind() == Outbox.Kind.HEALTH
                    ? newestRetained.get(m.topic()) : null;
            if (appended != null && (latest == null || appended > latest)) {
                latest = appended;
            }
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
            long handed = System.nanoTime();
            link.publish(m.topic(), m.payload(), m.qos(), m.retain()).whenComplete((v, ex) -> {
                if (ex == null) {
                    publishLatency.record(System.nanoTime() - handed);
                }
                done(m, gen, ex);
            });
        }
        return true;
    }

    private void done(Outbox.Message m, long gen, Throwable ex) {
        Throwable cause = ex instanceof CompletionException && ex.getCause() != null ? ex.getCause() : ex;
        synchronized (lock) {
            if (cause == null || cause instanceof MqttLink.BrokerRejectedException) {
                acks.add(m.seq());
                if (cause != null) {
                    // The broker will never take it (ACL, quota): keeping it would stall everything behind it.
                    LOG.errorf("MQTT: %s refused by the broker (%s); dropped, counted", m.topic(), cause.getMessage());
                }
                if (gen == generation) {
                    inFlight.remove(m.seq());
                }
            } else if (gen == generation) {
                // Not delivered, and not a refusal: a lost connection, or a failure on a live one.
                // Everything after it goes again from the oldest unacknowledged, so the order
                // per meter holds (at least once: a subscriber may see some twice).
                generation++;
                lastSent = -1;
                inFlight.clear();
            }
            lock.notifyAll();
        }
    }

    /** On the pump thread: the acknowledgements received since the last call, into the outbox. */
    private void recordAcks() {
        Long seq;
        while ((seq = acks.poll()) != null) {
            try {
                outbox.acknowledge(seq);
            } catch (RuntimeException e) {
                // The ack journal could not be written: the message stays and is sent again.
                LOG.errorf("MQTT: recording the broker's acknowledgement of message %d failed: %s", seq,
                        e.getMessage());
            }
        }
    }

    public Outbox.Stats outboxStats() {
        return outbox.stats();
    }

    /**
     * Outbox messages (QoS 1) from handing them to the client to the broker's PUBACK: network
     * round trip plus the broker's own work. Messages not acknowledged are not counted.
     */
    public DurationTally publishLatency() {
        return publishLatency;
    }

    /** Every fsync the outbox has issued: with group commit, bounded whatever the number of meters. */
    public long outboxFsyncs() {
        return outbox.fsyncs();
    }

    public boolean connected() {
        return link.isConnected();
    }

    /** The MQTT protocol of the session ({@code 5}, {@code 3.1.1}), or {@code none}. */
    public String protocol() {
        return link.protocol();
    }

    public long reconnects() {
        return link.reconnects();
    }

    public String gatewayStatusTopic() {
        return gatewayStatusTopic;
    }

    /**
     * Clean stop, after the meters have stopped: the final energy and health go in, the outbox
     * gets a moment to drain, every meter's status and the gateway's go {@code offline}, and
     * the link closes. What is not delivered stays on disk.
     */
    public void stop(Duration drain) {
        if (pump == null) {
            // never started (a start-up that failed later): nothing was published or queued
            scheduler.shutdownNow();
            link.close();
            return;
        }
        scheduler.execute(guard(this::enqueueEnergy));
        scheduler.execute(guard(this::enqueueHealth));
        scheduler.execute(guard(this::sync));
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
        recordAcks();
        if (link.isConnected()) {
            for (PublishedMeter m : meters.values()) {
                if (!m.topics().status().equals(gatewayStatusTopic)) {
                    link.publishStatus(m.topics().status(), false);
                }
            }
        }
        link.close();
        LOG.infof("MQTT: stopped; %d message(s) left in the outbox for the next start", outbox.stats().depth());
        outbox.close();
    }
}
