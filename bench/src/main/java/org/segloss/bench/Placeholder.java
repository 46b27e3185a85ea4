package org.segloss.bench;
final class Placeholder {}
