/**
 * Small utilities every layer may use: atomic file writes ({@link org.segloss.util.AtomicFiles})
 * for checkpoints, NIfTI files and metrics tables. Imports nothing else of segloss
 * ({@code LayeringTest}).
 */
package org.segloss.util;
