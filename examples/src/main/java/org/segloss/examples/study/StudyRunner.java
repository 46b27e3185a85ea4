package org.segloss.examples.study;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
     */
    public record Settings(RunConfig.ModelSpec model, RunConfig.TrainingSchedule schedule, RunConfig.SamplerSpec sampler,
            RunConfig.ValidationSpec validation, Integer threads) {
        public Settings {
            if (model == null || schedule == null || sampler == null || validation == null) {
                throw new IllegalArgumentException("StudyRunner.Settings: model, schedule, sampler and validation must not be null");
            }
        }

        /** Optimizer steps of one run. */
        public long stepsPerRun() { return (long) schedule.epochs() * schedule.stepsPerEpoch(); }
    }

    /** What a call of {@link #run} did. */
    public record Outcome(int planned, int inShard, int skipped, int finished, int diverged, int failed) {}

    private final StudyPlan plan;
    private final RunStore store;
    private final Shard shard;
    private final Settings settings;
    private final DataSource dataSource;
    private final LossSource lossSource;
    private final List<Listener> listeners = new ArrayList<>();

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
     * Claims the folder for the plan ({@link StudyPlan#claim}) and runs this shard's unfinished runs
     * in plan order.
     *
     * @throws IllegalArgumentException when the folder holds another study
     */
    public Outcome run() throws IOException {
        plan.claim(store.dir());
        List<RunKey> mine = shard.select(plan.runs());
        List<RunKey> todo = new ArrayList<>();
        for (RunKey k : mine) if (!store.finished(k)) todo.add(k);
        long steps = settings.stepsPerRun();
        for (Listener l : listeners) l.onPlan(plan.runs().size(), mine.size(), todo.size(), steps * todo.size());
        int finished = 0, diverged = 0, failed = 0;
        String cachedFor = null;
        TrainingData cached = null;
        for (int i = 0; i < todo.size(); i++) {
            RunKey key = todo.get(i);
            for (Listener l : listeners) l.onRunStart(key, i, todo.size());
            String dataKey = key.data() + "\u0000" + key.seed();
            if (!dataKey.equals(cachedFor)) {
                cached = null;                                   // let the old volumes go before the new ones are built
                cached = dataSource.load(key.data(), key.seed());
                cachedFor = dataKey;
            }
            store.clearStale(key);
            Path tmp = store.begin(key);
            RunResult result;
            long[] stepsDone = new long[1];
            try {
                result = runOne(key, cached, tmp, stepsDone);
            } catch (IOException e) {
                store.abandon(tmp);
                throw e;
            }
            if (!store.publish(tmp, result)) {
                for (Listener l : listeners) l.onWarning(key + ": finished by another process meanwhile; kept its result");
            }
            switch (result.status()) {
                case FINISHED -> finished++;
                case DIVERGED -> diverged++;
                case FAILED -> failed++;
            }
            for (Listener l : listeners) l.onRunEnd(result, Math.max(0, steps - stepsDone[0]));
        }
        return new Outcome(plan.runs().size(), mine.size(), mine.size() - todo.size(), finished, diverged, failed);
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
                    for (Listener l : listeners) l.onStep();
                }

                @Override
                public void onStepsDone(int epoch) { trainingNanos[0] += System.nanoTime() - epochStart; }

                @Override
                public void onWarning(String message) {
                    for (Listener l : listeners) l.onWarning(key + ": " + message);
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
                        foreground, r.epochs().size(), stepMs, (System.nanoTime() - start) / 1e9, curve, List.of(), config.metadata());
            }
            List<RunResult.Volume> volumes = RunResult.score(r.last().validation().predictions(), data.validation(), classNames,
                    data.spacing());
            return new RunResult(key, RunResult.Status.FINISHED, "", foreground, r.epochs().size(), stepMs,
                    (System.nanoTime() - start) / 1e9, curve, volumes, config.metadata());
        } catch (RuntimeException e) {
            return new RunResult(key, RunResult.Status.FAILED, String.valueOf(e), foreground, 0, Double.NaN, (System.nanoTime() - start) / 1e9,
                    List.of(), List.of(), config == null ? java.util.Map.of("loss", key.loss()) : config.metadata());
        }
    }
}
