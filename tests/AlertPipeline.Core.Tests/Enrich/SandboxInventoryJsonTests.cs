using System.Text;
using AlertPipeline.Core.Enrich;

namespace AlertPipeline.Core.Tests.Enrich;

public sealed class SandboxInventoryJsonTests
{
    [Fact]
    public void The_documented_shape_reads_field_by_field()
    {
        var result = SandboxInventoryJson.Parse(Encoding.UTF8.GetBytes(
            """[{"id":"sbx-042","addresses":[{"ip":"10.20.3.14","from":"2026-01-10T02:30:00Z","to":null}],"owner":"rl-team-lead","email":"rl-oncall@example.com","team":"rl","environment":"training","allowedEgress":["10.0.5.0/24","huggingface.co"],"protected":false,"commandQueue":"sandbox-commands"}]"""));

        Assert.Empty(result.Problems);
        var sandbox = Assert.Single(result.Sandboxes);
        Assert.Equal("sbx-042", sandbox.Id);
        Assert.Equal("rl-team-lead", sandbox.Owner);
        Assert.Equal("rl-oncall@example.com", sandbox.OwnerEmail);
        Assert.Equal("rl", sandbox.Team);
        Assert.Equal("training", sandbox.Environment);
        Assert.False(sandbox.Protected);
        Assert.Equal("sandbox-commands", sandbox.CommandQueue);
        Assert.Equal(["10.0.5.0/24", "huggingface.co"], sandbox.AllowedEgress);
        var address = Assert.Single(sandbox.Addresses);
        Assert.Equal(new SandboxAddress("10.20.3.14", new DateTimeOffset(2026, 1, 10, 2, 30, 0, TimeSpan.Zero)), address);
    }

    [Fact]
    public void The_stored_names_are_accepted_too()
    {
        var result = SandboxInventoryJson.Parse(Encoding.UTF8.GetBytes(
            """[{"id":"a","ownerEmail":"a@example.com","protected":true,"addresses":[{"ip":"10.0.0.1","validFrom":"2025-11-14T02:00:00Z","validTo":"2025-11-14T03:00:00Z"}]}]"""));

        var sandbox = Assert.Single(result.Sandboxes);
        Assert.Equal("a@example.com", sandbox.OwnerEmail);
        Assert.True(sandbox.Protected);
        Assert.Equal(new DateTimeOffset(2025, 11, 14, 3, 0, 0, TimeSpan.Zero), sandbox.Addresses[0].ValidTo);
    }

    [Fact]
    public void Invalid_rows_are_reported_by_line_and_skipped()
    {
        var json = """
            [
              {"id":"ok-1","addresses":[{"ip":"10.0.0.1","from":"2025-11-14T02:00:00Z"}]},
              {"owner":"no id"},
              {"id":"bad-ip","addresses":[{"ip":"10.0.0.300","from":"2025-11-14T02:00:00Z"}]},
              {"id":"bad-time","addresses":[{"ip":"10.0.0.3","from":"yesterday"}]},
              {"id":"backwards","addresses":[{"ip":"10.0.0.4","from":"2025-11-14T02:00:00Z","to":"2025-11-14T01:00:00Z"}]},
              {"id":"bad-egress","allowedEgress":["10.0.5.0/33"]},
              {"id":"ok-1"},
              "not an object",
              {"id":"ok-2","allowedEgress":["203.0.113.7","pypi.org.","2001:db8:5::/48"]},
              {"id":"bad-v6-egress","allowedEgress":["2001:db8::/129"]}
            ]
            """;
        var result = SandboxInventoryJson.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Equal(["ok-1", "ok-2"], result.Sandboxes.Select(s => s.Id));
        Assert.Equal([3, 4, 5, 6, 7, 8, 9, 11], result.Problems.Select(p => p.Line));
        Assert.Equal(["203.0.113.7", "pypi.org.", "2001:db8:5::/48"], result.Sandboxes[1].AllowedEgress);
        Assert.Contains("needs an id", result.Problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("already defined on line 2", result.Problems[5].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_syntax_error_keeps_the_rows_before_it()
    {
        var result = SandboxInventoryJson.Parse(Encoding.UTF8.GetBytes("[\n{\"id\":\"a\"},\n{\"id\":\"b\",,}\n]"));

        Assert.Equal(["a"], result.Sandboxes.Select(s => s.Id));
        Assert.Equal(3, Assert.Single(result.Problems).Line);
    }

    [Fact]
    public void Scheduled_gpu_work_reads_with_indexes_as_numbers_or_text()
    {
        var result = SandboxInventoryJson.Parse(Encoding.UTF8.GetBytes(
            """[{"id":"g","gpus":["GPU-5e3a1f4d-7a10-4011-909b-1c2d3e4f5a00",2,"3"],"gpuProcesses":["python3"],"schedule":[{"state":"active","from":"2025-11-14T02:00:00Z","to":"2025-11-14T04:00:00Z"},{"state":"IDLE","validFrom":"2025-11-14T04:00:00Z"}]}]"""));

        Assert.Empty(result.Problems);
        var sandbox = Assert.Single(result.Sandboxes);
        Assert.Equal(["GPU-5e3a1f4d-7a10-4011-909b-1c2d3e4f5a00", "2", "3"], sandbox.Gpus);
        Assert.Equal(["python3"], sandbox.GpuProcesses);
        var four = new DateTimeOffset(2025, 11, 14, 4, 0, 0, TimeSpan.Zero);
        Assert.Equal(
            [new SandboxRunWindow(RunState.Active, four.AddHours(-2), four), new SandboxRunWindow(RunState.Idle, four)],
            sandbox.Schedule);
    }

    [Theory]
    [InlineData("""{"id":"x","gpus":"0"}""", "gpus must be an array")]
    [InlineData("""{"id":"x","gpus":[-1]}""", "gpus entry -1 is not a GPU UUID")]
    [InlineData("""{"id":"x","gpus":["GPU 1"]}""", "gpus entry")]
    [InlineData("""{"id":"x","gpuProcesses":[""]}""", "gpuProcesses entry")]
    [InlineData("""{"id":"x","gpuProcesses":[7]}""", "gpuProcesses entry 7 is not a process name")]
    [InlineData("""{"id":"x","schedule":{"state":"idle"}}""", "schedule must be an array")]
    [InlineData("""{"id":"x","schedule":[{"state":"paused","from":"2025-11-14T02:00:00Z"}]}""", "state of \"active\" or \"idle\"")]
    [InlineData("""{"id":"x","schedule":[{"state":"idle"}]}""", "needs a valid \"from\"")]
    [InlineData("""{"id":"x","schedule":[{"state":"idle","from":"2025-11-14T02:00:00Z","to":"2025-11-14T01:00:00Z"}]}""", "not a time after")]
    public void Invalid_gpu_work_is_reported(string row, string message)
    {
        var result = SandboxInventoryJson.Parse(Encoding.UTF8.GetBytes($"[\n{row}\n]"));

        Assert.Empty(result.Sandboxes);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(2, problem.Line);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }
}
