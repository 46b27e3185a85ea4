/**
 * The conformance runner: drives the reference vectors ({@code spec/vectors/cases.json} and its
 * {@code .npy} files, computed by MONAI, SegLoss, LIVIAETS, Berman's Lovász and Fidon's GWDL) through
 * the library's public loss API and compares loss values and gradients.
 *
 * <ul>
 *   <li>{@link org.segloss.conform.CaseFile}: the {@code cases.json} schema (version 1) as records.</li>
 *   <li>{@link org.segloss.conform.LossMapper}: reference symbol + options to a library loss, or
 *       "unsupported: reason". Adding a loss is one registry line and one factory method there.</li>
 *   <li>{@link org.segloss.conform.CaseOptions}: typed option access that records what was read, so an
 *       option no mapping understands is reported instead of silently ignored.</li>
 *   <li>{@link org.segloss.conform.ConformanceRunner}: loads a case, runs forward and backward in
 *       float32, writes {@code <id>.loss.json} / {@code <id>.grad.npy}, compares with the tolerance
 *       rule of the vectors' README.</li>
 *   <li>{@link org.segloss.conform.Report}: the per-case lines and the closing
 *       {@code N passed, N failed} line (the format of {@code check_npy.py}).</li>
 * </ul>
 */
package org.segloss.conform;
