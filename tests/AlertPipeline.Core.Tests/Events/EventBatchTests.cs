using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Tests.Events;

public sealed class EventBatchTests
{
    private static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 20, 0, TimeSpan.Zero);

    [Fact]
    public void Committed_event_keeps_its_fields_and_time()
    {
        var batch = new EventBatch(4);
        batch.BeginEvent(new SourcePosition("hub/0", 7, 1), "ecs");
        batch.Set(EcsField.ProcessCommandLine, "ssh -R 2222:localhost:22 x@203.0.113.66");
        batch.Set(EcsField.DestinationPort, 22);
        batch.SetTimestamp(T0);
        batch.CommitEvent();

        Assert.Equal(1, batch.Count);
        Assert.Equal("ssh -R 2222:localhost:22 x@203.0.113.66", batch.Get(0, EcsField.ProcessCommandLine).ToString());
        Assert.Equal("22", batch.Get(0, EcsField.DestinationPort).ToString());
        Assert.Equal(T0, batch.Timestamp(0));
        Assert.Equal("2025-11-14T03:20:00.0000000Z", batch.Get(0, EcsField.Timestamp).ToString());
        Assert.Equal(new SourcePosition("hub/0", 7, 1), batch.Position(0));
        Assert.False(batch.Has(0, EcsField.UserName));
    }

    [Fact]
    public void Empty_value_is_present_but_absent_field_is_not()
    {
        var batch = new EventBatch();
        batch.BeginEvent(new SourcePosition("s", 0, 0), "ecs");
        batch.Set(EcsField.UserName, string.Empty);
        batch.SetTimestamp(T0);
        batch.CommitEvent();

        Assert.True(batch.Has(0, EcsField.UserName));
        Assert.True(batch.Get(0, EcsField.UserName).IsEmpty);
        Assert.False(batch.Has(0, EcsField.HostName));
    }

    [Fact]
    public void Aborted_event_leaves_no_trace_and_next_event_reuses_its_slot()
    {
        var batch = new EventBatch();
        batch.BeginEvent(new SourcePosition("s", 0, 0), "ecs");
        batch.Set(EcsField.HostName, "half-written");
        batch.AbortEvent();
        batch.BeginEvent(new SourcePosition("s", 0, 1), "ecs");
        batch.Set(EcsField.UserName, "agent");
        batch.SetTimestamp(T0);
        batch.CommitEvent();

        Assert.Equal(1, batch.Count);
        Assert.False(batch.Has(0, EcsField.HostName));
        Assert.Equal("agent", batch.Get(0, EcsField.UserName).ToString());
    }

    [Fact]
    public void Commit_without_timestamp_is_a_parser_bug()
    {
        var batch = new EventBatch();
        batch.BeginEvent(new SourcePosition("s", 0, 0), "ecs");
        Assert.Throws<InvalidOperationException>(batch.CommitEvent);
    }

    [Fact]
    public void Grows_past_initial_capacity_and_clear_resets()
    {
        var batch = new EventBatch(4);
        for (var i = 0; i < 1000; i++)
        {
            batch.BeginEvent(new SourcePosition("s", i, 0), "ecs");
            batch.Set(EcsField.Message, new string('x', i % 300));
            batch.Set(EcsField.ProcessPid, i);
            batch.SetTimestamp(T0.AddSeconds(i));
            batch.CommitEvent();
        }

        Assert.Equal(1000, batch.Count);
        Assert.Equal("999", batch.Get(999, EcsField.ProcessPid).ToString());
        Assert.Equal(999 % 300, batch.Get(999, EcsField.Message).Length);
        Assert.Equal(T0.AddSeconds(500), batch.Timestamp(500));

        batch.Clear();
        Assert.Equal(0, batch.Count);
        batch.BeginEvent(new SourcePosition("s", 0, 0), "ecs");
        batch.SetTimestamp(T0);
        batch.CommitEvent();
        Assert.False(batch.Has(0, EcsField.Message));
    }

    [Fact]
    public void Enricher_writes_to_committed_event()
    {
        var batch = new EventBatch();
        batch.BeginEvent(new SourcePosition("s", 0, 0), "azure-firewall");
        batch.Set(EcsField.SourceIp, "10.40.77.31");
        batch.SetTimestamp(T0);
        batch.CommitEvent();

        batch.Set(0, EcsField.SandboxId, "rl-env-7731");

        Assert.Equal("rl-env-7731", batch.Get(0, EcsField.SandboxId).ToString());
        Assert.Equal("10.40.77.31", batch.Get(0, EcsField.SourceIp).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Set(1, EcsField.SandboxId, "x"));
    }

    [Fact]
    public void Reject_keeps_a_bounded_excerpt()
    {
        var batch = new EventBatch();
        var huge = new byte[100_000];
        huge.AsSpan().Fill((byte)'a');
        batch.Reject(new SourcePosition("s", 3, 2), "ecs", "malformed-json", "bad", huge);

        var reject = Assert.Single(batch.Rejects);
        Assert.Equal("malformed-json", reject.Reason);
        Assert.Equal(new SourcePosition("s", 3, 2), reject.Position);
        Assert.True(reject.Excerpt.Length <= RejectedEvent.MaxExcerptBytes + 1);
    }

    [Fact]
    public void Field_table_resolves_every_ecs_name_both_ways()
    {
        foreach (var definition in EcsFields.All)
        {
            Assert.True(EcsFields.TryGet(definition.Name.AsSpan(), out var field));
            Assert.Equal(definition.Field, field);
            Assert.Equal(definition.Name, EcsFields.NameOf(field));
        }

        Assert.False(EcsFields.TryGet("process.commandline", out _));
    }
}
