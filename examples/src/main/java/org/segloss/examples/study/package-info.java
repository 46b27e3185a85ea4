/**
 * Loss studies ({@code segloss study}; spec/study.md): paired training runs of several losses on
 * several data sets and seeds, their scores, the statistics and the report.
 *
 * <ul>
 * <li>{@link org.segloss.examples.study.StudyPlan} (data × seeds × losses and the shared settings,
 *     {@code study.json}), {@link org.segloss.examples.study.RunKey}, {@link org.segloss.examples.study.Shard}
 *     ({@code --shard K/N}, 0-based, round robin);</li>
 * <li>{@link org.segloss.examples.study.StudyRunner}: runs a shard's unfinished runs with the
 *     {@link org.segloss.examples.train.Trainer}; divergence and failure are results;</li>
 * <li>{@link org.segloss.examples.study.RunStore}: one folder per finished run, published by an
 *     atomic rename; {@link org.segloss.examples.study.RunResult} ({@code result.json}) with
 *     {@link org.segloss.examples.study.ClassResult} per class and validation volume;</li>
 * <li>{@link org.segloss.examples.study.StudyResults}: a study's finished runs and {@code results.csv};
 *     {@link org.segloss.examples.study.PairedStatistics} (mean ± sd, percentile bootstrap, Wilcoxon
 *     signed-rank); {@link org.segloss.examples.study.StudyReport} and {@link org.segloss.examples.study.Claims}
 *     ({@code report.md}); {@link org.segloss.examples.study.StudyPlots} (the PNGs).</li>
 * </ul>
 */
package org.segloss.examples.study;
