using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>
/// NVIDIA DCGM exporter samples as JSON: one object per GPU and scrape, carrying the exporter's labels
/// (<c>gpu</c>, <c>UUID</c>, <c>Hostname</c>, <c>pod</c>, <c>namespace</c>, <c>container</c>; flat or under
/// <c>labels</c>), its metrics by DCGM field name (<c>DCGM_FI_DEV_GPU_UTIL</c>, <c>DCGM_FI_DEV_FB_USED</c>, …) and,
/// where a job-stats relay attributes the GPU, <c>processes</c> (<c>pid</c>, <c>name</c>). Each record becomes a
/// <c>gpu.metrics</c> event. Field mapping and the exact shape: <c>docs/formats/dcgm.md</c>.
/// </summary>
public sealed class DcgmFormat : MappedJsonFormat
{
    /// <summary>Creates the format.</summary>
    public DcgmFormat()
        : base("dcgm", Paths(), "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "UUID", "modelName", "Hostname", "gpu")
    {
    }

    /// <inheritdoc />
    public override bool CanParse(ReadOnlySpan<byte> body)
    {
        var window = DetectionWindow(body);
        return StartsLikeJson(body) && (HasKey(window, "\"DCGM_FI_DEV_GPU_UTIL\""u8) || HasKey(window, "\"DCGM_FI_DEV_FB_USED\""u8));
    }

    private static IEnumerable<KeyValuePair<string, MapTarget>> Paths()
    {
        yield return Map("timestamp", MapAction.Time);
        yield return Map("DCGM_FI_DEV_GPU_UTIL", EcsField.GpuUtilization);
        yield return Map("DCGM_FI_DEV_FB_USED", EcsField.GpuMemoryUsed);
        yield return Map("DCGM_FI_DEV_FB_FREE", EcsField.GpuMemoryFree);
        yield return Map("processes.pid", EcsField.ProcessPid);
        yield return Map("processes.name", EcsField.ProcessName);
        yield return Map("processes.executable", EcsField.ProcessExecutable);

        // The exporter's labels, flat (a relay that merges them) or nested under "labels" (Prometheus' JSON).
        foreach (var prefix in new[] { "", "labels." })
        {
            yield return Map(prefix + "gpu", EcsField.GpuIndex);
            yield return Map(prefix + "UUID", EcsField.GpuUuid);
            yield return Map(prefix + "Hostname", EcsField.HostName);
            yield return Map(prefix + "pod", EcsField.OrchestratorResourceName);
            yield return Map(prefix + "namespace", EcsField.OrchestratorNamespace);
            yield return Map(prefix + "container", EcsField.ContainerName);
        }
    }

    private protected override string? Complete(EventBatch batch, ref MappedRecord record)
    {
        if (!batch.HasOpen(EcsField.GpuUtilization) && !batch.HasOpen(EcsField.GpuMemoryUsed))
        {
            return "missing-metrics";
        }

        batch.Set(EcsField.EventKind, "metric");
        batch.Set(EcsField.EventCategory, "host");
        batch.Set(EcsField.EventType, "info");
        batch.Set(EcsField.EventModule, "dcgm");
        batch.Set(EcsField.EventDataset, "gpu.metrics");
        if (batch.HasOpen(EcsField.OrchestratorResourceName))
        {
            batch.Set(EcsField.OrchestratorType, "kubernetes");
        }

        return null;
    }

    private protected override string DetailOf(string reason)
        => reason == "missing-metrics" ? "The sample has neither DCGM_FI_DEV_GPU_UTIL nor DCGM_FI_DEV_FB_USED." : base.DetailOf(reason);
}
