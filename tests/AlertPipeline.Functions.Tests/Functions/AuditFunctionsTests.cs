using System.Net;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Functions.Functions;
using AlertPipeline.Functions.Tests.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Functions.Tests.Functions;

/// <summary><c>GET audit</c> through the app's own composition (in-memory audit log), as the worker calls it.</summary>
public sealed class AuditFunctionsTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2025, 11, 14, 12, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _services;
    private readonly AuditFunctions _functions;
    private readonly IAuditLog _audit;

    public AuditFunctionsTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        FunctionsComposition.Configure(services, new ConfigurationBuilder().Build());
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _functions = ActivatorUtilities.CreateInstance<AuditFunctions>(_services);
        _audit = _services.GetRequiredService<IAuditLog>();
    }

    public void Dispose() => _services.Dispose();

    private async Task RecordAsync(string id, string alert, string sandbox, DateTimeOffset at, AuditKind kind = AuditKind.Notification, string? detail = null)
        => await _audit.RecordAsync(new AuditEntry
        {
            EntryId = id, At = at, Kind = kind, AlertId = alert, SandboxId = sandbox, Action = "email", Outcome = "sent", Detail = detail,
        }, CancellationToken.None);

    private async Task<TestHttpResponse> GetAsync(string query)
        => TestHttp.Read(await _functions.ListAsync(
            new TestHttpRequest(new TestFunctionContext(_services, new Dictionary<string, object?>()), "GET", "audit" + query), CancellationToken.None));

    [Fact]
    public async Task By_alert_returns_its_entries_oldest_first_as_json()
    {
        await RecordAsync("e2", "a1", "sbx-1", Now.AddMinutes(-1), AuditKind.ControllerOutcome);
        await RecordAsync("e1", "a1", "sbx-1", Now.AddMinutes(-2));
        await RecordAsync("other", "a2", "sbx-1", Now.AddMinutes(-2));

        var response = await GetAsync("?alertId=a1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("application/json", response.Header("Content-Type"), StringComparison.Ordinal);
        var entries = response.Json.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(["e1", "e2"], entries.Select(e => e.GetProperty("entryId").GetString()));
        Assert.Equal("controller-outcome", entries[1].GetProperty("kind").GetString());
        Assert.False(response.Json.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task By_sandbox_defaults_to_the_last_day_takes_since_and_max_and_says_when_it_cut()
    {
        await RecordAsync("old", "a1", "sbx-1", Now.AddDays(-2));
        await RecordAsync("recent1", "a2", "sbx-1", Now.AddHours(-3));
        await RecordAsync("recent2", "a3", "sbx-1", Now.AddHours(-2));

        var lastDay = await GetAsync("?sandboxId=sbx-1");
        var since = await GetAsync("?sandboxId=sbx-1&since=" + Uri.EscapeDataString(Now.AddDays(-3).ToString("O")) + "&max=2");

        Assert.Equal(["recent1", "recent2"], lastDay.Json.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("entryId").GetString()));
        Assert.Equal(["old", "recent1"], since.Json.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("entryId").GetString()));
        Assert.True(since.Json.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task Attacker_text_comes_out_escaped_in_the_json()
    {
        await RecordAsync("e1", "a1", "sbx-1", Now, detail: "<script>alert(1)</script>\r\n");

        var response = await GetAsync("?alertId=a1");

        Assert.DoesNotContain("<script>", response.Text, StringComparison.Ordinal);
        Assert.Equal("<script>alert(1)</script>\r\n", response.Json.GetProperty("entries")[0].GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("?alertId=a1&sandboxId=sbx-1")]
    [InlineData("?sandboxId=sbx-1&since=yesterday")]
    [InlineData("?alertId=a1&max=0")]
    [InlineData("?alertId=a1&max=100000")]
    public async Task A_request_that_names_neither_or_both_or_a_bad_value_is_a_400_problem(string query)
    {
        var response = await GetAsync(query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("application/problem+json", response.Header("Content-Type"), StringComparison.Ordinal);
    }
}
