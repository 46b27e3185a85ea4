package org.segloss.examples.study;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.segloss.examples.train.EpochResult;
import org.segloss.examples.train.RunConfig;
import org.segloss.examples.train.Trainer;
import org.segloss.examples.train.TrainingListener;
import org.segloss.examples.unet.TrainingData;

/**
 * Runs the runs of a study ({@link StudyPlan}) that belong to one shard ({@link Shard}) and have not
 * finished yet, each with the library's {@link Trainer}, into the study's folder ({@link RunStore}).
 *
 * <p><b>Pairing.</b> Every run of a (data, seed) gets the same data (built once by the
 * {@link DataSource} from the data name and the seed) and the same {@link RunConfig} apart from the
 * loss: the Trainer draws the initial weights and the patch sequence from the seed alone, so the
 * losses of one seed start from the same weights and see the same patches.
 *
 * <p><b>Results, not crashes.</b> A run whose loss becomes NaN or infinite is published as
 * {@link RunResult.Status#DIVERGED} with where it happened; a run whose training throws a
 * {@link RuntimeException} (a loss that rejects the data, say) as {@link RunResult.Status#FAILED}
 * with the message. The study goes on with the next run. Errors of the file system propagate.
 *
 * <p><b>Resume and shards.</b> A run whose folder exists is skipped; an unfinished one starts over
 * (the Trainer's outputs of a killed attempt are in a temporary folder that is deleted first).
 *
 * <p><b>Runs at once.</b> {@link Settings#jobs()} runs train side by side, each on its own thread
 * with {@link Settings#threads()} kernel threads; every run takes the next unstarted run of the
 * list. The small networks of a study do not fill two cores with one run (on a 2-core machine two
 * 1-thread runs did about 17 % more steps per second than one 2-thread run), and a run's results
 * do not depend on the thread count or on what runs beside it, so the metrics are the same as one
 * run after the other. Runs of one (data, seed) share its volumes (read only), loaded once and
 * let go after their last run. Listeners are called under one lock, never from two threads at once.
 */
public final class StudyRunner {
    /** Builds the data set of a run: {@code data} as in the plan, {@code seed} the run's seed. */
    @FunctionalInterface
    public interface DataSource {
        TrainingData load(String data, long seed) throws IOException;
    }

    /** Builds a loss of the plan for a data set of {@code classes} classes. */
    @FunctionalInterface
    public interface LossSource {
        RunConfig.LossSpec build(String loss, int classes);
    }

    /** What the runner reports; every method has an empty default. */
    public interface Listener {
        /** The shard holds {@code inShard} of the plan's runs, {@code toRun} of them not finished: {@code totalSteps} optimizer steps. */
        default void onPlan(int planned, int inShard, int toRun, long totalSteps) {}

        /** Run {@code index} (0-based) of the {@code toRun} starts. */
        default void onRunStart(RunKey key, int index, int toRun) {}

        /** One optimizer step of the current run is done. */
        default void onStep() {}

        /** A run ended and was published; {@code stepsNotRun} of its planned steps did not run (divergence, failure). */
        default void onRunEnd(RunResult result, long stepsNotRun) {}

        /** A problem that does not stop the study. */
        default void onWarning(String message) {}
    }

    /**
     * The training settings every run of the study shares.
     *
     * @param threads threads of the parallel kernels during each run, or null for the current count
     * @param jobs runs trained at once, >= 1
     */
    public record Settings(RunConfig.ModelSpec model, RunConfig.TrainingSchedule schedule, RunConfig.SamplerSpec sampler,
            RunConfig.ValidationSpec validation, Integer threads, int jobs) {
        public Settings {
            if (model == null || schedule == null || sampler == null || validation == null) {
                throw new IllegalArgumentException("StudyRunner.Settings: model, schedule, sampler and validation must not be null");
            }
            if (jobs < 1) throw new IllegalArgumentException("StudyRunner.Settings: jobs must be >= 1, got " + jobs);
        }

        /** One run at a time. */
        public Settings(RunConfig.ModelSpec model, RunConfig.TrainingSchedule schedule, RunConfig.SamplerSpec sampler,
                RunConfig.ValidationSpec validation, Integer threads) {
            this(model, schedule, sampler, validation, threads, 1);
        }

        /** Optimizer steps of one run. */
        public long stepsPerRun() { return (long) schedule.epochs() * schedule.stepsPerEpoch(); }
    }

    /** What a call of {@link #run} did. */
    public record Outcome(int planned, int inShard, int skipped, int finished, int diverged, int failed) {}

    /** Keys of a run's recorded settings ({@link RunResult#config()}): runs at once and kernel threads while it trained. */
    public static final String JOBS = "jobs", THREADS = "threads";

    private final StudyPlan plan;
    private final RunStore store;
    private final Shard shard;
    private final Settings settings;
    private final DataSource dataSource;
    private final LossSource lossSource;
    private final List<Listener> listeners = new ArrayList<>();
    private volatile int jobsNow = 1;   // runs at once in the current call of run(): at most the runs to do

    public StudyRunner(StudyPlan plan, Path dir, Shard shard, Settings settings, DataSource dataSource, LossSource lossSource) {
        if (plan == null || dir == null || shard == null || settings == null || dataSource == null || lossSource == null) {
            throw new IllegalArgumentException("StudyRunner: plan, dir, shard, settings, dataSource and lossSource must not be null");
        }
        this.plan = plan;
        this.store = new RunStore(dir);
        this.shard = shard;
        this.settings = settings;
        this.dataSource = dataSource;
        this.lossSource = lossSource;
    }

    /** Adds a listener; returns this. */
    public StudyRunner listener(Listener l) {
        if (l == null) throw new IllegalArgumentException("StudyRunner.listener: listener must not be null");
        listeners.add(l);
        return this;
    }

    /**
     * Claims the folder for the plan ({@link StudyPlan#claim}) and runs this shard's unfinished runs,
     * started in plan order, {@link Settings#jobs()} at a time.
     *
     * @throws IllegalArgumentException when the folder holds another study
     */
    public Outcome run() throws IOException {
        plan.claim(store.dir());
        List<RunKey> mine = shard.select(plan.runs());
        List<RunKey> todo = new ArrayList<>();
        for (RunKey k : mine) if (!store.finished(k)) todo.add(k);
        long steps = settings.stepsPerRun();
        tell(l -> l.onPlan(plan.runs().size(), mine.size(), todo.size(), steps * todo.size()));
        Batch batch = new Batch(todo);
        int jobs = Math.min(settings.jobs(), todo.size());
        jobsNow = Math.max(1, jobs);
        if (jobs <= 1) {
            batch.work();
        } else {
            Thread[] threads = new Thread[jobs];
            for (int j = 0; j < jobs; j++) {
                threads[j] = new Thread(batch::workCatching, "segloss-study-run-" + (j + 1));
                threads[j].start();
            }
            boolean interrupted = false;
            for (Thread t : threads) {
                while (true) {
                    try {
                        t.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                        batch.stop();
                    }
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            batch.rethrow();
        }
        return new Outcome(plan.runs().size(), mine.size(), mine.size() - todo.size(), batch.finished, batch.diverged, batch.failed);
    }

    /** Calls every listener under the runner's lock. */
    private void tell(java.util.function.Consumer<Listener> call) {
        synchronized (listeners) {
            for (Listener l : listeners) call.accept(l);
        }
    }

    /** The runs to do, handed out in order to one or more threads, with their shared volumes and the counts. */
    private final class Batch {
        private final List<RunKey> todo;
        private final AtomicInteger next = new AtomicInteger();
        private final Map<String, Volumes> volumes = new HashMap<>();
        private volatile boolean stopped;
        private Throwable failure;       // guarded by this
        int finished, diverged, failed;  // guarded by this

        Batch(List<RunKey> todo) {
            this.todo = todo;
            for (RunKey k : todo) volumes.computeIfAbsent(dataKey(k), d -> new Volumes()).runsLeft++;
        }

        /** Runs the next unstarted run until none is left (or another thread failed). */
        void work() throws IOException {
            for (int i; !stopped && (i = next.getAndIncrement()) < todo.size(); ) runAndPublish(todo.get(i), i);
        }

        /** {@link #work()} on a thread of its own: a failure stops the others from starting runs and is kept for {@link #rethrow}. */
        void workCatching() {
            try {
                work();
            } catch (Throwable t) {
                synchronized (this) {
                    if (failure == null) failure = t;
                    else failure.addSuppressed(t);
                }
                stopped = true;
            }
        }

        void stop() { stopped = true; }

        synchronized void rethrow() throws IOException {
            if (failure instanceof IOException e) throw e;
            if (failure instanceof RuntimeException e) throw e;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new IllegalStateException(failure);
        }

        private void runAndPublish(RunKey key, int index) throws IOException {
            tell(l -> l.onRunStart(key, index, todo.size()));
            long steps = settings.stepsPerRun();
            Volumes v = volumes.get(dataKey(key));
            RunResult result;
            long[] stepsDone = new long[1];
            try {
                TrainingData data = v.acquire(key);
                store.clearStale(key);
                Path tmp = store.begin(key);
                try {
                    result = runOne(key, data, tmp, stepsDone);
                } catch (IOException | RuntimeException | Error e) {
                    store.abandon(tmp);
                    throw e;
                }
                if (!store.publish(tmp, result)) {
                    tell(l -> l.onWarning(key + ": finished by another process meanwhile; kept its result"));
                }
            } finally {
                v.release();
            }
            synchronized (this) {
                switch (result.status()) {
                    case FINISHED -> finished++;
                    case DIVERGED -> diverged++;
                    case FAILED -> failed++;
                }
            }
            tell(l -> l.onRunEnd(result, Math.max(0, steps - stepsDone[0])));
        }
    }

    private static String dataKey(RunKey k) {
        return k.data() + "\u0000" + k.seed();
    }

    /** The volumes of one (data, seed): built by the first run that needs them, let go after the last. */
    private final class Volumes {
        int runsLeft;               // guarded by this
        private TrainingData data;  // guarded by this

        synchronized TrainingData acquire(RunKey key) throws IOException {
            if (data == null) data = dataSource.load(key.data(), key.seed());
            return data;
        }

        synchronized void release() {
            if (--runsLeft == 0) data = null;
        }
    }

    /** The run's settings as the Trainer records them, plus how it ran: {@link #JOBS} and {@link #THREADS}. */
    private Map<String, String> recorded(RunConfig config) {
        Map<String, String> m = new HashMap<>(config.metadata());
        m.put(JOBS, Integer.toString(jobsNow));
        m.put(THREADS, Integer.toString(config.threads() != null ? config.threads() : org.segloss.tensor.kernel.Parallel.threads()));
        return m;
    }

    /** Trains one run into {@code folder} and turns the Trainer's result into the study's. */
    private RunResult runOne(RunKey key, TrainingData data, Path folder, long[] stepsDone) throws IOException {
        long start = System.nanoTime();
        String[] classNames = data.classNames();
        List<String> foreground = List.of(classNames).subList(1, classNames.length);
        long[] trainingNanos = new long[1];
        RunConfig config = null;
        try {
            RunConfig.LossSpec loss = lossSource.build(key.loss(), data.classes());
            config = new RunConfig(data, settings.model(), loss, settings.schedule(), settings.sampler(), settings.validation(),
                    key.seed(), settings.threads(), folder);
            org.segloss.examples.train.RunResult r = new Trainer(config).listener(new TrainingListener() {
                long epochStart;

                @Override
                public void onEpochStart(int epoch, int epochs, int steps) { epochStart = System.nanoTime(); }

                @Override
                public void onStep(int epoch, int step, double meanLoss, double voxelsPerSecond) {
                    stepsDone[0]++;
                    StudyRunner.this.tell(Listener::onStep);
                }

                @Override
                public void onStepsDone(int epoch) { trainingNanos[0] += System.nanoTime() - epochStart; }

                @Override
                public void onWarning(String message) {
                    StudyRunner.this.tell(l -> l.onWarning(key + ": " + message));
                }
            }).run();
            List<RunResult.Epoch> curve = new ArrayList<>();
            for (EpochResult e : r.epochs()) {
                double[] dice = e.validation().dice();
                List<Double> fg = new ArrayList<>();
                for (int c = 1; c < dice.length; c++) fg.add(dice[c]);
                curve.add(new RunResult.Epoch(e.epoch(), e.loss(), fg));
            }
            double stepMs = stepsDone[0] == 0 ? Double.NaN : trainingNanos[0] / 1e6 / stepsDone[0];
            if (r.status() == org.segloss.examples.train.RunResult.Status.DIVERGED) {
                org.segloss.examples.train.RunResult.Divergence d = r.divergence();
                String what = d.cause() == org.segloss.examples.train.RunResult.Divergence.Cause.OUTPUT
                        ? "network output not finite" : "loss " + d.value();
                return new RunResult(key, RunResult.Status.DIVERGED, what + " at epoch " + d.epoch() + ", step " + d.step(),
                        foreground, r.epochs().size(), stepMs, (System.nanoTime() - start) / 1e9, curve, List.of(), recorded(config));
            }
            List<RunResult.Volume> volumes = RunResult.score(r.last().validation().predictions(), data.validation(), classNames,
                    data.spacing());
            return new RunResult(key, RunResult.Status.FINISHED, "", foreground, r.epochs().size(), stepMs,
                    (System.nanoTime() - start) / 1e9, curve, volumes, recorded(config));
        } catch (RuntimeException e) {
            return new RunResult(key, RunResult.Status.FAILED, String.valueOf(e), foreground, 0, Double.NaN, (System.nanoTime() - start) / 1e9,
                    List.of(), List.of(), config == null ? java.util.Map.of("loss", key.loss()) : recorded(config));
        }
    }
}
