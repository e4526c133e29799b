using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest.Formats;
using static AlertPipeline.Core.Tests.Ingest.IngestTestKit;

namespace AlertPipeline.Core.Tests.Ingest.Formats;

public sealed class DcgmFormatTests
{
    private static readonly DcgmFormat Format = new();

    [Theory]
    [InlineData("{\"timestamp\":\"2025-11-14T03:14:53Z\",\"DCGM_FI_DEV_GPU_UTIL\":5}", true)]
    [InlineData("{\"labels\":{},\"DCGM_FI_DEV_FB_USED\":5}", true)]
    [InlineData("{\"@timestamp\":\"2025-11-14T03:14:53Z\",\"gpu\":{\"utilization\":5}}", false)]
    public void CanParse_needs_a_dcgm_metric(string body, bool expected)
        => Assert.Equal(expected, Format.CanParse(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void Sample_with_process_attribution_maps_gpu_and_process_fields()
    {
        var batch = Parse(Format, Sample("dcgm/samples.jsonl"));

        Assert.Empty(batch.Rejects);
        batch.AssertFields(0, new Dictionary<string, string>
        {
            ["@timestamp"] = "2025-11-14T03:15:10.0000000Z",
            ["event.kind"] = "metric",
            ["event.category"] = "host",
            ["event.type"] = "info",
            ["event.module"] = "dcgm",
            ["event.dataset"] = "gpu.metrics",
            ["host.name"] = "rl-node-7731",
            ["gpu.index"] = "0",
            ["gpu.uuid"] = "GPU-7731a000-0000-4000-8000-000000000000",
            ["gpu.utilization"] = "99",
            ["gpu.memory.used"] = "4120",
            ["gpu.memory.free"] = "77300",
            ["process.pid"] = "7131",
            ["process.name"] = "xmrig",
            ["container.name"] = "trainer",
            ["orchestrator.type"] = "kubernetes",
            ["orchestrator.namespace"] = "rl",
            ["orchestrator.resource.name"] = "rl-env-7731",
        });
    }

    [Fact]
    public void Labels_may_be_nested()
    {
        var batch = Parse(Format, Sample("dcgm/samples.jsonl"));

        Assert.Equal("1", batch.Value(1, EcsField.GpuIndex));
        Assert.Equal("rl-env-7734", batch.Value(1, EcsField.OrchestratorResourceName));
        Assert.Equal("83", batch.Value(1, EcsField.GpuUtilization));
        Assert.False(batch.Has(1, EcsField.ProcessName));
    }

    [Fact]
    public void A_sample_without_metrics_is_rejected_and_the_rest_flows()
    {
        var batch = Parse(Format, "[{\"timestamp\":\"2025-11-14T03:14:53Z\",\"gpu\":\"0\"},{\"timestamp\":\"2025-11-14T03:14:54Z\",\"gpu\":\"1\",\"DCGM_FI_DEV_GPU_UTIL\":7}]");

        Assert.Equal("7", Assert.Single(Enumerable.Range(0, batch.Count).Select(i => batch.Value(i, EcsField.GpuUtilization))));
        Assert.Equal("missing-metrics", Assert.Single(batch.Rejects).Reason);
    }
}
