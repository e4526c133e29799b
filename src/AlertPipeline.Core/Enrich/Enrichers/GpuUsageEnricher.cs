using System.Globalization;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Enrich.Enrichers;

/// <summary>
/// Judges a GPU sample (<c>event.dataset: gpu.metrics</c>, native or DCGM) of an attributed sandbox against the
/// sandbox's scheduled work from the inventory and, when real usage is not explained by it, writes the reason to
/// <c>gpu.unexplained</c>: <see cref="NotAssigned"/>, else <see cref="RunIdle"/>, else <see cref="ProcessNotExpected"/>
/// (the first that applies). Runs after <see cref="SandboxEnricher"/>, which resolves DCGM samples by their pod.
/// A sandbox whose inventory row has no GPU information is not judged; each check runs only when its part is known.
/// </summary>
public sealed class GpuUsageEnricher(SandboxSnapshot sandboxes) : IEnricher
{
    /// <summary>The GPU is neither among the sandbox's assigned UUIDs nor its assigned indexes.</summary>
    public const string NotAssigned = "gpu-not-assigned";

    /// <summary>The sandbox's run is marked idle (or has no window) at the sample's time.</summary>
    public const string RunIdle = "run-idle";

    /// <summary>The process on the GPU is not one the sandbox's job runs.</summary>
    public const string ProcessNotExpected = "process-not-expected";

    /// <summary>Utilization (percent) from which a sample counts as real usage.</summary>
    public const double UtilizationFloor = 20;

    /// <summary>Memory in use (MiB) from which a sample counts as real usage: above a bare CUDA context (a few hundred MiB).</summary>
    public const long MemoryFloorMiB = 1024;

    /// <inheritdoc />
    public void Enrich(EventBatch batch, int index)
    {
        if (!batch.Has(index, EcsField.SandboxId) || !batch.Get(index, EcsField.EventDataset).SequenceEqual("gpu.metrics"))
        {
            return;
        }

        // One lookup answers both "known sandbox" and "has GPU information"; the usage is parsed only for those.
        var workload = sandboxes.GpuWorkloadOf(batch.Get(index, EcsField.SandboxId));
        if (workload is null || !IsInUse(batch, index))
        {
            return;
        }

        var reason = Judge(batch, index, workload);
        if (reason is not null)
        {
            batch.Set(index, EcsField.GpuUnexplained, reason);
        }
    }

    private static string? Judge(EventBatch batch, int index, GpuWorkload workload)
    {
        // A GPU that is not the sandbox's is the strongest finding (another tenant's hardware), then a run that should
        // not be using any GPU, then a process the job does not run.
        if (workload.JudgesUuids && batch.Has(index, EcsField.GpuUuid))
        {
            if (!workload.IsAssignedUuid(batch.Get(index, EcsField.GpuUuid)))
            {
                return NotAssigned;
            }
        }
        else if (workload.JudgesIndexes && batch.Has(index, EcsField.GpuIndex)
            && GpuWorkload.TryParseIndex(batch.Get(index, EcsField.GpuIndex), out var gpu) && !workload.IsAssignedIndex(gpu))
        {
            return NotAssigned;
        }

        if (workload.JudgesSchedule && workload.StateAt(batch.Timestamp(index).UtcTicks) == RunState.Idle)
        {
            return RunIdle;
        }

        if (workload.JudgesProcesses)
        {
            var name = ProcessName(batch, index);
            if (!name.IsEmpty && !workload.ExpectsProcess(name))
            {
                return ProcessNotExpected;
            }
        }

        return null;
    }

    private static bool IsInUse(EventBatch batch, int index)
    {
        if (batch.Has(index, EcsField.GpuUtilization)
            && double.TryParse(batch.Get(index, EcsField.GpuUtilization), NumberStyles.Float, CultureInfo.InvariantCulture, out var utilization)
            && utilization >= UtilizationFloor)
        {
            return true;
        }

        return batch.Has(index, EcsField.GpuMemoryUsed)
            && double.TryParse(batch.Get(index, EcsField.GpuMemoryUsed), NumberStyles.Float, CultureInfo.InvariantCulture, out var memory)
            && memory >= MemoryFloorMiB;
    }

    /// <summary><c>process.name</c>, or the last segment of <c>process.executable</c> when only that is known.</summary>
    private static ReadOnlySpan<char> ProcessName(EventBatch batch, int index)
    {
        if (batch.Has(index, EcsField.ProcessName))
        {
            return batch.Get(index, EcsField.ProcessName);
        }

        var executable = batch.Get(index, EcsField.ProcessExecutable);
        return executable[(executable.LastIndexOf('/') + 1)..];
    }
}
