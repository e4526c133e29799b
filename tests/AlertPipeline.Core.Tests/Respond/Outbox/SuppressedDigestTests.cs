using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Outbox;
using Microsoft.Extensions.Time.Testing;
using static AlertPipeline.Core.Tests.Respond.RespondTestKit;

namespace AlertPipeline.Core.Tests.Respond.Outbox;

/// <summary>An alert flood past the rate cap becomes one digest per channel per window, sent once.</summary>
public sealed class SuppressedDigestTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    private readonly InMemoryAlertStore _store = new();
    private readonly InMemoryAuditLog _audit = new();
    private readonly InMemoryRateCounter _rates = new();
    private readonly FakeTimeProvider _time = new(T0.AddMinutes(1)); // 03:21, inside the 03:20-03:30 window
    private readonly RecordingChannel _email = new("email");
    private readonly RecordingChannel _teams = new("teams");

    private SuppressedDigest Digest() => new(_audit, _store, [_email, _teams, new RecordingChannel("shutdown")], _rates, new AuditTrail(_audit), _time);

    /// <summary>Raises one high alert per sandbox and dispatches its email and card under a cap of 2 per channel per window.</summary>
    private async Task FloodAsync(params string[] sandboxes)
    {
        var outbox = new ListOutbox();
        var options = new ResponderOptions { MaxPerChannelPerWindow = 2, RateWindow = Window };
        var responder = new AlertResponder(_store, outbox, ResponsePolicy.Default, options, _time);
        var rules = new[] { Rule(AlertLevel.High), Rule(AlertLevel.Critical, id: "6f1c2a0e-0000-4000-8000-000000000002") };
        var candidates = sandboxes.Select((s, i) => Candidate(rules[i % 3 == 0 ? 1 : 0], s, ("hub/0", i, 0, 0))).ToList();
        await responder.RespondAsync(candidates, CancellationToken.None);
        var dispatcher = new NotificationDispatcher(_store, [_email, _teams], new InMemoryNotificationPoisonStore(), options, _time, rates: _rates, audit: new AuditTrail(_audit));
        foreach (var message in outbox.Queued.Where(m => m.Channel != "shutdown"))
        {
            await dispatcher.DispatchAsync(message, CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_next_window_sends_one_digest_per_channel_listing_rule_sandbox_and_count_and_a_redelivered_tick_sends_nothing()
    {
        await FloodAsync([.. Enumerable.Range(1, 12).Select(i => $"sbx-{i:D2}")]);
        Assert.Equal(2, _email.Sent.Count);
        var sentBefore = (_email.Sent.Count, _teams.Sent.Count);
        var emailDigests = new List<Alert>();
        var email = new RecordingChannel("email", a => { emailDigests.Add(a); return ChannelResult.Sent("HTTP 202"); });
        var teams = new RecordingChannel("teams");

        _time.SetUtcNow(T0.AddMinutes(10).AddSeconds(3)); // the 03:30 tick
        var first = await new SuppressedDigest(_audit, _store, [email, teams], _rates, new AuditTrail(_audit), _time).RunAsync(CancellationToken.None);
        var again = await new SuppressedDigest(_audit, _store, [email, teams], _rates, new AuditTrail(_audit), _time).RunAsync(CancellationToken.None);

        Assert.Equal([("email", 10, (ActionStatus?)ActionStatus.Sent), ("teams", 10, ActionStatus.Sent)], first.Select(r => (r.Channel, r.Alerts, r.Status)));
        Assert.All(again, r => Assert.Null(r.Status));
        Assert.Single(email.Sent);
        Assert.Single(teams.Sent);
        Assert.Equal(sentBefore, (_email.Sent.Count, _teams.Sent.Count));
        var digest = Assert.Single(emailDigests);
        Assert.Equal("10 alerts suppressed by the email rate cap", digest.Title);
        Assert.Equal(AlertLevel.Critical, digest.Level);
        Assert.Equal(10, digest.Evidence.Count);
        Assert.All(digest.Evidence, e => Assert.Equal("1 alert(s), 1 event(s)", e.Value));
        Assert.Contains(digest.Evidence.Keys, k => k.EndsWith("Reverse SSH tunnel / sbx-12", StringComparison.Ordinal));
        var audited = await _audit.ListByAlertAsync(digest.AlertId, 10, CancellationToken.None);
        Assert.Equal(("digest:email", "sent"), (Assert.Single(audited).Action, audited[0].Outcome));
    }

    [Fact]
    public async Task A_window_without_suppression_sends_nothing_and_the_current_window_waits_for_its_end()
    {
        await FloodAsync("sbx-1", "sbx-2");
        _time.SetUtcNow(T0.AddMinutes(10).AddSeconds(3));
        Assert.Empty(await Digest().RunAsync(CancellationToken.None));

        await FloodAsync([.. Enumerable.Range(3, 6).Select(i => $"sbx-{i}")]); // suppressed now, in the 03:30 window
        Assert.Empty(await Digest().RunAsync(CancellationToken.None));
        _time.SetUtcNow(T0.AddMinutes(20).AddSeconds(1));
        Assert.Equal([4, 4], (await Digest().RunAsync(CancellationToken.None)).Select(r => r.Alerts));
    }

    [Fact]
    public async Task Attacker_chosen_sandbox_ids_are_cleaned_and_a_long_list_is_cut_with_a_count()
    {
        var hostile = "sbx-\r\nBcc: attacker@example.com\u202e<b>";
        await FloodAsync([.. new[] { "a", "b", hostile }.Concat(Enumerable.Range(0, SuppressedDigest.MaxLines + 5).Select(i => $"sbx-{i:D3}"))]);
        var digests = new List<Alert>();
        var email = new RecordingChannel("email", a => { digests.Add(a); return ChannelResult.Sent(); });
        _time.SetUtcNow(T0.AddMinutes(10));

        await new SuppressedDigest(_audit, _store, [email], _rates, new AuditTrail(_audit), _time).RunAsync(CancellationToken.None);

        var digest = Assert.Single(digests);
        Assert.Equal(SuppressedDigest.MaxLines + 1, digest.Evidence.Count);
        Assert.Equal("6 more alert(s) not listed", digest.Evidence["99. more"]);
        Assert.All(digest.Evidence.Keys, k => Assert.DoesNotContain(k, c => c is '\r' or '\n' or '\u202e'));
    }

    private sealed class ListOutbox : INotificationOutbox
    {
        public List<NotificationMessage> Queued { get; } = [];

        public Task EnqueueAsync(NotificationMessage message, TimeSpan delay, CancellationToken cancellationToken)
        {
            Queued.Add(message);
            return Task.CompletedTask;
        }
    }
}
