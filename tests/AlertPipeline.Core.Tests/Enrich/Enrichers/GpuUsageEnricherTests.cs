using System.Text;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Enrichers;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;

namespace AlertPipeline.Core.Tests.Enrich.Enrichers;

public sealed class GpuUsageEnricherTests
{
    private const string Own0 = "GPU-5e3a1f4d-7a10-4011-909b-1c2d3e4f5a00";
    private const string Own1 = "GPU-5e3a1f4d-7a11-4122-909b-1c2d3e4f6b11";
    private const string Foreign = "GPU-5e3a204d-7a10-4011-90a0-1c2d3e4f5a00";

    private static readonly DateTimeOffset Start = new(2025, 11, 14, 3, 0, 0, TimeSpan.Zero);

    private static readonly SandboxSnapshot Inventory = new(
    [
        // Runs 03:00-03:30, idle 03:30-03:40, active again from 03:40; two GPUs by UUID.
        new SandboxRecord
        {
            Id = "trainer",
            Gpus = [Own0, Own1],
            GpuProcesses = ["python3", "torchrun"],
            Schedule =
            [
                new SandboxRunWindow(RunState.Active, Start, Start.AddMinutes(30)),
                new SandboxRunWindow(RunState.Idle, Start.AddMinutes(30), Start.AddMinutes(40)),
                new SandboxRunWindow(RunState.Active, Start.AddMinutes(40)),
            ],
        },
        // Knows only the indexes of its GPUs.
        new SandboxRecord { Id = "by-index", Gpus = ["0", "1"] },
        // Knows only its job's processes.
        new SandboxRecord { Id = "processes-only", GpuProcesses = ["python3"] },
        // No GPU information: never judged.
        new SandboxRecord { Id = "unknown-work", AllowedEgress = ["huggingface.co"] },
    ]);

    private static EventBatch Sample(
        string sandbox, string? process = "python3", string? uuid = Own0, string? index = null, string utilization = "97.5",
        string? memory = "8000", int minute = 10, string dataset = "gpu.metrics", bool byPod = false)
    {
        var batch = new EventBatch();
        batch.BeginEvent(new SourcePosition("s", 0, 0), "ecs");
        batch.Set(EcsField.EventDataset, dataset);
        batch.Set(byPod ? EcsField.OrchestratorResourceName : EcsField.SandboxId, sandbox);
        batch.Set(EcsField.GpuUtilization, utilization);
        Optional(EcsField.GpuMemoryUsed, memory);
        Optional(EcsField.GpuUuid, uuid);
        Optional(EcsField.GpuIndex, index);
        Optional(EcsField.ProcessName, process);
        batch.SetTimestamp(Start.AddMinutes(minute));
        batch.CommitEvent();
        return batch;

        void Optional(EcsField field, string? value)
        {
            if (value is not null)
            {
                batch.Set(field, value);
            }
        }
    }

    private static string? Judge(EventBatch batch)
    {
        new EnrichmentStage(Inventory).Enrich(batch);
        return batch.GetString(0, EcsField.GpuUnexplained);
    }

    [Fact]
    public void The_jobs_own_process_on_an_assigned_gpu_while_the_run_is_active_is_explained()
    {
        Assert.Null(Judge(Sample("trainer")));
        Assert.Null(Judge(Sample("trainer", process: "torchrun", uuid: Own1.ToLowerInvariant())));
        Assert.Null(Judge(Sample("trainer", minute: 45)));
    }

    [Fact]
    public void A_gpu_that_is_not_assigned_is_flagged_first()
    {
        Assert.Equal(GpuUsageEnricher.NotAssigned, Judge(Sample("trainer", uuid: Foreign)));

        // Before the other reasons: a foreign GPU, in an idle window, under a miner.
        Assert.Equal(GpuUsageEnricher.NotAssigned, Judge(Sample("trainer", process: "xmrig", uuid: Foreign, minute: 35)));
    }

    [Theory]
    [InlineData("2", "gpu-not-assigned")]
    [InlineData("1", null)]
    [InlineData("0", null)]
    public void Assignment_by_index_is_judged_when_the_inventory_lists_indexes(string index, string? expected)
        => Assert.Equal(expected, Judge(Sample("by-index", uuid: null, index: index)));

    [Fact]
    public void Usage_while_the_run_is_idle_or_unscheduled_is_flagged_before_the_process()
    {
        Assert.Equal(GpuUsageEnricher.RunIdle, Judge(Sample("trainer", minute: 35)));
        Assert.Equal(GpuUsageEnricher.RunIdle, Judge(Sample("trainer", process: "xmrig", minute: 35)));

        // Before the first window nothing scheduled explains the usage.
        Assert.Equal(GpuUsageEnricher.RunIdle, Judge(Sample("trainer", minute: -5)));
    }

    [Theory]
    [InlineData("trainer", "xmrig")]
    [InlineData("trainer", "Python3")]
    [InlineData("processes-only", "t-rex")]
    public void A_process_the_job_does_not_run_is_flagged(string sandbox, string process)
        => Assert.Equal(GpuUsageEnricher.ProcessNotExpected, Judge(Sample(sandbox, process: process)));

    [Fact]
    public void The_process_falls_back_to_the_executables_name()
    {
        var batch = Sample("trainer", process: null);
        batch.Set(0, EcsField.ProcessExecutable, "/tmp/.cache/xmrig");
        Assert.Equal(GpuUsageEnricher.ProcessNotExpected, Judge(batch));

        var known = Sample("trainer", process: null);
        known.Set(0, EcsField.ProcessExecutable, "/usr/bin/python3");
        Assert.Null(Judge(known));

        // No process at all: the process check has nothing to judge.
        Assert.Null(Judge(Sample("trainer", process: null)));
    }

    [Theory]
    [InlineData("19.9", "512")]
    [InlineData("0", "1023")]
    [InlineData("not-a-number", null)]
    public void Samples_below_both_floors_are_not_usage(string utilization, string? memory)
        => Assert.Null(Judge(Sample("trainer", process: "xmrig", utilization: utilization, memory: memory)));

    [Theory]
    [InlineData("20", null)]
    [InlineData("3", "1024")]
    public void Either_floor_makes_a_sample_usage(string utilization, string? memory)
        => Assert.Equal(GpuUsageEnricher.ProcessNotExpected, Judge(Sample("trainer", process: "xmrig", utilization: utilization, memory: memory)));

    [Theory]
    [InlineData("unknown-work")]
    [InlineData("not-in-inventory")]
    public void Sandboxes_without_gpu_information_are_not_judged(string sandbox)
        => Assert.Null(Judge(Sample(sandbox, process: "xmrig", uuid: Foreign)));

    [Fact]
    public void Only_gpu_samples_are_judged()
        => Assert.Null(Judge(Sample("trainer", process: "xmrig", dataset: "sandbox.process")));

    [Fact]
    public void A_dcgm_sample_is_judged_through_the_sandbox_its_pod_names()
    {
        var batch = Sample("trainer", process: "xmrig", byPod: true);
        Assert.Equal(GpuUsageEnricher.ProcessNotExpected, Judge(batch));
        Assert.Equal("trainer", batch.GetString(0, EcsField.SandboxId));
    }

    [Fact]
    public void A_dcgm_exporter_line_parsed_by_its_format_is_judged()
    {
        var line = $$"""{"timestamp":"2025-11-14T03:15:40Z","gpu":"2","UUID":"{{Own1}}","Hostname":"rl-node-7731","pod":"trainer","namespace":"rl","DCGM_FI_DEV_GPU_UTIL":99,"DCGM_FI_DEV_FB_USED":4096,"processes":[{"pid":7131,"name":"xmrig"}]}""";
        var batch = new EventBatch();
        new TelemetryIngestor().Ingest(new TelemetryMessage(Encoding.UTF8.GetBytes(line), "sensors", 1, Start), batch);

        Assert.Equal("dcgm", batch.FormatOf(0));
        Assert.Equal(GpuUsageEnricher.ProcessNotExpected, Judge(batch));
    }

    [Fact]
    public void A_sample_that_claims_the_field_itself_is_not_trusted()
    {
        var line = """{"@timestamp":"2025-11-14T03:10:00Z","event":{"dataset":"gpu.metrics"},"sandbox":{"id":"trainer"},"gpu":{"uuid":"GPU-5e3a1f4d-7a10-4011-909b-1c2d3e4f5a00","utilization":90,"unexplained":"none"},"process":{"name":"python3"}}""";
        var batch = new EventBatch();
        new TelemetryIngestor().Ingest(new TelemetryMessage(Encoding.UTF8.GetBytes(line), "sandbox", 1, Start), batch);

        Assert.Null(Judge(batch));
    }

    [Fact]
    public void Judging_allocates_nothing_per_event()
    {
        // One batch with every outcome: explained, each reason, below the floors, not judged.
        var batch = new EventBatch(1024);
        var cases = new[]
        {
            ("trainer", "python3", Own0, 10), ("trainer", "xmrig", Own0, 10), ("trainer", "python3", Foreign, 10),
            ("trainer", "python3", Own0, 35), ("unknown-work", "xmrig", Own0, 10),
        };
        for (var i = 0; i < 500; i++)
        {
            var (sandbox, process, uuid, minute) = cases[i % cases.Length];
            batch.BeginEvent(new SourcePosition("s", i, 0), "ecs");
            batch.Set(EcsField.EventDataset, "gpu.metrics");
            batch.Set(EcsField.SandboxId, sandbox);
            batch.Set(EcsField.GpuUtilization, "97.5");
            batch.Set(EcsField.GpuUuid, uuid);
            batch.Set(EcsField.ProcessName, process);
            batch.SetTimestamp(Start.AddMinutes(minute));
            batch.CommitEvent();
        }

        var enricher = new GpuUsageEnricher(Inventory);
        for (var i = 0; i < batch.Count; i++)
        {
            enricher.Enrich(batch, i); // warm up, and grow the arena once for the written reasons
        }

        // The least of three runs: the runtime may account some bytes once (tiered re-compilation while the suite runs
        // in parallel); an allocation per event would show in every run as kilobytes.
        var least = long.MaxValue;
        for (var run = 0; run < 3; run++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < batch.Count; i++)
            {
                enricher.Enrich(batch, i);
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(GpuUsageEnricher.ProcessNotExpected, batch.GetString(1, EcsField.GpuUnexplained));
        Assert.InRange(least, 0, 499);
    }
}
