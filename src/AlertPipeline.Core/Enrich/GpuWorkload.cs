using System.Collections.Frozen;
using System.Globalization;

namespace AlertPipeline.Core.Enrich;

/// <summary>
/// One sandbox's scheduled GPU work (assigned GPUs, the job's expected processes, the run schedule), compiled once
/// per inventory refresh into frozen sets and a sorted window array, so judging a GPU sample allocates nothing.
/// Each part is judged only when the inventory states it.
/// </summary>
public sealed class GpuWorkload
{
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _uuids;
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _processes;
    private readonly long[] _indexes;
    private readonly Window[] _windows;

    private GpuWorkload(FrozenSet<string> uuids, long[] indexes, FrozenSet<string> processes, Window[] windows)
    {
        _uuids = uuids.GetAlternateLookup<ReadOnlySpan<char>>();
        _processes = processes.GetAlternateLookup<ReadOnlySpan<char>>();
        _indexes = indexes;
        _windows = windows;
        JudgesUuids = uuids.Count > 0;
        JudgesIndexes = indexes.Length > 0;
        JudgesProcesses = processes.Count > 0;
        JudgesSchedule = windows.Length > 0;
    }

    /// <summary>True when the inventory names assigned GPUs by UUID.</summary>
    public bool JudgesUuids { get; }

    /// <summary>True when the inventory names assigned GPUs by index.</summary>
    public bool JudgesIndexes { get; }

    /// <summary>True when the inventory lists the job's expected GPU processes.</summary>
    public bool JudgesProcesses { get; }

    /// <summary>True when the inventory has a run schedule.</summary>
    public bool JudgesSchedule { get; }

    /// <summary>True when nothing about GPUs is known: the sandbox is not judged.</summary>
    public bool IsEmpty => !(JudgesUuids || JudgesIndexes || JudgesProcesses || JudgesSchedule);

    /// <summary>Compiles the GPU part of <paramref name="sandbox"/>; entries the importer would reject are ignored.</summary>
    public static GpuWorkload Compile(SandboxRecord sandbox)
    {
        var uuids = new List<string>();
        var indexes = new List<long>();
        foreach (var gpu in sandbox.Gpus)
        {
            if (TryParseIndex(gpu, out var index))
            {
                indexes.Add(index);
            }
            else if (!string.IsNullOrWhiteSpace(gpu))
            {
                uuids.Add(gpu.Trim());
            }
        }

        var windows = sandbox.Schedule
            .Select(w => new Window(w.ValidFrom.UtcTicks, w.ValidTo?.UtcTicks ?? long.MaxValue, w.State))
            .OrderBy(w => w.From)
            .ToArray();
        return new GpuWorkload(
            uuids.ToFrozenSet(StringComparer.OrdinalIgnoreCase),
            [.. indexes.Distinct()],
            sandbox.GpuProcesses.Where(p => !string.IsNullOrWhiteSpace(p)).ToFrozenSet(StringComparer.Ordinal),
            windows);
    }

    /// <summary>A GPU index as the inventory writes it: a whole number from 0.</summary>
    public static bool TryParseIndex(ReadOnlySpan<char> text, out long index)
        => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out index);

    /// <summary>True if the GPU with <paramref name="uuid"/> is assigned (only meaningful when <see cref="JudgesUuids"/>).</summary>
    public bool IsAssignedUuid(ReadOnlySpan<char> uuid) => _uuids.Contains(uuid.Trim());

    /// <summary>True if GPU <paramref name="index"/> is assigned (only meaningful when <see cref="JudgesIndexes"/>).</summary>
    public bool IsAssignedIndex(long index) => Array.IndexOf(_indexes, index) >= 0;

    /// <summary>True if the job is expected to run <paramref name="processName"/> (process names are case-sensitive, as on Linux).</summary>
    public bool ExpectsProcess(ReadOnlySpan<char> processName) => _processes.Contains(processName);

    /// <summary>
    /// The run's state at <paramref name="utcTicks"/>: the latest-starting window that covers it; a time no window covers
    /// counts as idle, since no scheduled work explains it (only meaningful when <see cref="JudgesSchedule"/>).
    /// </summary>
    public RunState StateAt(long utcTicks)
    {
        for (var i = _windows.Length - 1; i >= 0; i--)
        {
            var window = _windows[i];
            if (utcTicks >= window.From && utcTicks < window.To)
            {
                return window.State;
            }
        }

        return RunState.Idle;
    }

    private readonly record struct Window(long From, long To, RunState State);
}
