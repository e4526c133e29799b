using System.Net;
using System.Text;
using System.Text.Json;
using AlertPipeline.Core.Detect;
using AlertPipeline.Functions.Functions;
using AlertPipeline.Functions.Tests.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Functions.Tests.Functions;

/// <summary>
/// The rule management functions through the app's own composition (in-memory stores), called with requests shaped
/// as the worker delivers them: status codes, ETag preconditions, problem documents and the history they leave.
/// </summary>
public sealed class RuleFunctionsTests : IDisposable
{
    private const string Pack = "default";
    private const string Id = "3d0b8c55-9c43-4f5e-8f43-5d0b7a2e1f01";

    private static readonly string TunnelRule = Rule(Id, "ssh -R");

    private readonly ServiceProvider _services;
    private readonly RuleFunctions _functions;

    public RuleFunctionsTests()
    {
        var services = new ServiceCollection();
        FunctionsComposition.Configure(services, new ConfigurationBuilder().Build());
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _functions = ActivatorUtilities.CreateInstance<RuleFunctions>(_services);
    }

    public void Dispose() => _services.Dispose();

    private static string Rule(string id, string commandLine) => $"""
        title: Test rule {commandLine}
        id: {id}
        status: test
        logsource:
          category: process_creation
          product: linux
        detection:
          selection:
            process.command_line|contains: '{commandLine}'
          condition: selection
        level: high
        """;

    private TestHttpRequest Request(string method, string path, string? body = null, params (string Name, string Value)[] headers) =>
        new(new TestFunctionContext(_services, new Dictionary<string, object?>()), method, path,
            body is null ? null : Encoding.UTF8.GetBytes(body), headers.ToDictionary(h => h.Name, h => h.Value));

    private async Task<TestHttpResponse> Put(string yaml, (string, string) precondition, string id = Id, string who = "alice@example.com", string query = "")
        => TestHttp.Read(await _functions.PutAsync(
            Request("PUT", $"rules/{Pack}/{id}{query}", yaml, precondition, ("x-ms-client-principal-name", who)), Pack, id, CancellationToken.None));

    private async Task<TestHttpResponse> Get(string id = Id)
        => TestHttp.Read(await _functions.GetAsync(Request("GET", $"rules/{Pack}/{id}"), Pack, id, CancellationToken.None));

    private async Task<JsonElement> History()
        => TestHttp.Read(await _functions.HistoryAsync(Request("GET", $"rules/{Pack}/{Id}/history"), Pack, Id, CancellationToken.None)).Json.GetProperty("changes");

    private static void AssertProblem(TestHttpResponse response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith("application/problem+json", response.Header("Content-Type"), StringComparison.Ordinal);
        var problem = response.Json;
        Assert.Equal($"urn:alertpipeline:problem:{type}", problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Create_with_if_none_match_is_201_with_an_etag_that_get_returns_and_history_records_the_principal()
    {
        var created = await Put(TunnelRule, ("If-None-Match", "*"), query: "?mode=dry-run");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var etag = created.Header("ETag");
        Assert.False(string.IsNullOrEmpty(etag));
        Assert.Equal($"rules/{Pack}/{Id}", created.Header("Location"));
        var got = await Get();
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal(etag, got.Header("ETag"));
        Assert.Equal(TunnelRule, got.Json.GetProperty("yaml").GetString());
        Assert.Equal("dry-run", got.Json.GetProperty("mode").GetString());
        Assert.Equal(etag, got.Json.GetProperty("eTag").GetString());
        Assert.Equal("ok", got.Json.GetProperty("status").GetString()); // as the pipeline would load the store now
        var change = Assert.Single((await History()).EnumerateArray());
        Assert.Equal(("create", "alice@example.com"), (change.GetProperty("action").GetString(), change.GetProperty("who").GetString()));
        Assert.Equal(JsonValueKind.Null, change.GetProperty("before").ValueKind);
        Assert.Equal(TunnelRule, change.GetProperty("after").GetProperty("yaml").GetString());
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("If-Match", "*")]
    [InlineData("If-Match", " ")]
    public async Task A_write_without_a_usable_precondition_is_428_and_stores_nothing(string? header, string? value)
    {
        var request = header is null ? Request("PUT", $"rules/{Pack}/{Id}", TunnelRule) : Request("PUT", $"rules/{Pack}/{Id}", TunnelRule, (header, value!));

        var response = TestHttp.Read(await _functions.PutAsync(request, Pack, Id, CancellationToken.None));

        AssertProblem(response, (HttpStatusCode)428, "precondition-required");
        AssertProblem(await Get(), HttpStatusCode.NotFound, "rule-not-found");
    }

    [Fact]
    public async Task Replace_with_a_stale_etag_is_412_and_the_first_writer_keeps_the_rule()
    {
        var etag = (await Put(TunnelRule, ("If-None-Match", "*"))).Header("ETag")!;
        var alice = await Put(Rule(Id, "ssh -D"), ("If-Match", etag));

        var bob = await Put(Rule(Id, "autossh"), ("If-Match", etag), who: "bob");

        Assert.Equal(HttpStatusCode.OK, alice.StatusCode);
        Assert.NotEqual(etag, alice.Header("ETag"));
        AssertProblem(bob, HttpStatusCode.PreconditionFailed, "stale-etag");
        Assert.Equal(Rule(Id, "ssh -D"), (await Get()).Json.GetProperty("yaml").GetString());
        Assert.Equal(["replace", "create"], (await History()).EnumerateArray().Select(c => c.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task Create_over_an_existing_rule_is_412()
    {
        await Put(TunnelRule, ("If-None-Match", "*"));

        AssertProblem(await Put(Rule(Id, "ssh -D"), ("If-None-Match", "*")), HttpStatusCode.PreconditionFailed, "rule-exists");
    }

    [Fact]
    public async Task An_invalid_rule_is_422_with_located_errors_and_is_not_stored()
    {
        var response = await Put(TunnelRule.Replace("level: high", "level: severe", StringComparison.Ordinal), ("If-None-Match", "*"));

        AssertProblem(response, HttpStatusCode.UnprocessableEntity, "invalid-rule");
        var error = Assert.Single(response.Json.GetProperty("errors").EnumerateArray());
        Assert.Equal(Id, error.GetProperty("ruleId").GetString());
        Assert.Equal(11, error.GetProperty("line").GetInt32());
        Assert.True(error.GetProperty("column").GetInt32() > 0);
        Assert.Contains("severe", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Get()).StatusCode);
    }

    [Fact]
    public async Task A_yaml_id_other_than_the_route_id_is_422()
    {
        const string other = "11111111-2222-4333-8444-555555555555";

        var response = await Put(TunnelRule, ("If-None-Match", "*"), id: other);

        AssertProblem(response, HttpStatusCode.UnprocessableEntity, "invalid-rule");
        Assert.Contains(other, response.Json.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Get(other)).StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_cap_is_413()
    {
        var huge = TunnelRule + "# " + new string('x', RuleFunctions.MaxRuleBytes);

        AssertProblem(await Put(huge, ("If-None-Match", "*")), HttpStatusCode.RequestEntityTooLarge, "body-too-large");
    }

    [Fact]
    public async Task A_pack_that_cannot_name_a_rule_is_400_and_the_detail_does_not_echo_control_characters()
    {
        const string pack = "bad\npack";
        var request = Request("PUT", "rules/bad%0Apack/" + Id, TunnelRule, ("If-None-Match", "*"));

        var response = TestHttp.Read(await _functions.PutAsync(request, pack, Id, CancellationToken.None));

        AssertProblem(response, HttpStatusCode.BadRequest, "bad-request");
        Assert.DoesNotContain('\n', response.Json.GetProperty("detail").GetString()!);
    }

    [Fact]
    public async Task Delete_needs_the_current_etag_then_the_rule_is_gone_and_its_history_stays()
    {
        var first = (await Put(TunnelRule, ("If-None-Match", "*"))).Header("ETag")!;
        var second = (await Put(Rule(Id, "ssh -D"), ("If-Match", first))).Header("ETag")!;

        var missing = TestHttp.Read(await _functions.DeleteAsync(Request("DELETE", $"rules/{Pack}/{Id}"), Pack, Id, CancellationToken.None));
        var stale = TestHttp.Read(await _functions.DeleteAsync(Request("DELETE", $"rules/{Pack}/{Id}", null, ("If-Match", first)), Pack, Id, CancellationToken.None));
        var deleted = TestHttp.Read(await _functions.DeleteAsync(Request("DELETE", $"rules/{Pack}/{Id}", null, ("If-Match", second)), Pack, Id, CancellationToken.None));

        AssertProblem(missing, (HttpStatusCode)428, "precondition-required");
        AssertProblem(stale, HttpStatusCode.PreconditionFailed, "stale-etag");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        AssertProblem(await Get(), HttpStatusCode.NotFound, "rule-not-found");
        var latest = (await History())[0];
        Assert.Equal("delete", latest.GetProperty("action").GetString());
        Assert.Equal("function-key", latest.GetProperty("who").GetString());
        Assert.Equal(JsonValueKind.Null, latest.GetProperty("after").ValueKind);
    }

    [Fact]
    public async Task Disable_and_enable_flip_the_flag_with_a_new_etag_and_are_recorded()
    {
        var etag = (await Put(TunnelRule, ("If-None-Match", "*"))).Header("ETag")!;

        var disabled = TestHttp.Read(await _functions.DisableAsync(
            Request("POST", $"rules/{Pack}/{Id}/disable", null, ("If-Match", etag), ("x-ms-client-principal-name", "bob\r\nforged line")), Pack, Id, CancellationToken.None));
        var staleEnable = TestHttp.Read(await _functions.EnableAsync(Request("POST", $"rules/{Pack}/{Id}/enable", null, ("If-Match", etag)), Pack, Id, CancellationToken.None));
        var enabled = TestHttp.Read(await _functions.EnableAsync(Request("POST", $"rules/{Pack}/{Id}/enable"), Pack, Id, CancellationToken.None));
        var missing = TestHttp.Read(await _functions.EnableAsync(Request("POST", $"rules/{Pack}/nope/enable"), Pack, "nope", CancellationToken.None));

        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.False(disabled.Json.GetProperty("enabled").GetBoolean());
        Assert.NotEqual(etag, disabled.Header("ETag"));
        AssertProblem(staleEnable, HttpStatusCode.PreconditionFailed, "stale-etag");
        Assert.True(enabled.Json.GetProperty("enabled").GetBoolean());
        AssertProblem(missing, HttpStatusCode.NotFound, "rule-not-found");
        var history = (await History()).EnumerateArray().ToList();
        Assert.Equal(["enable", "disable", "create"], history.Select(c => c.GetProperty("action").GetString()));
        Assert.Equal("bob  forged line", history[1].GetProperty("who").GetString());
    }

    [Fact]
    public async Task List_shows_rules_without_yaml_and_filters_by_pack()
    {
        await Put(TunnelRule, ("If-None-Match", "*"));

        var all = TestHttp.Read(await _functions.ListAsync(Request("GET", "rules"), CancellationToken.None));
        var other = TestHttp.Read(await _functions.ListAsync(Request("GET", "rules?pack=other"), CancellationToken.None));

        var rule = Assert.Single(all.Json.GetProperty("rules").EnumerateArray());
        Assert.Equal((Pack, Id, "high", true), (rule.GetProperty("pack").GetString(), rule.GetProperty("id").GetString(), rule.GetProperty("level").GetString(), rule.GetProperty("enabled").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, rule.GetProperty("yaml").ValueKind);
        Assert.Empty(other.Json.GetProperty("rules").EnumerateArray());
    }

    [Fact]
    public async Task Validate_answers_the_rule_identity_or_422()
    {
        var valid = TestHttp.Read(await _functions.ValidateAsync(Request("POST", "rules/validate", "\uFEFF" + TunnelRule), CancellationToken.None));
        var invalid = TestHttp.Read(await _functions.ValidateAsync(Request("POST", "rules/validate", "title: only a title\n"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal((true, Id, "high"), (valid.Json.GetProperty("valid").GetBoolean(), valid.Json.GetProperty("id").GetString(), valid.Json.GetProperty("level").GetString()));
        AssertProblem(invalid, HttpStatusCode.UnprocessableEntity, "invalid-rule");
        Assert.NotEmpty(invalid.Json.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task Test_lists_the_matching_sample_events_with_cleaned_field_values()
    {
        const string sample = """
            [{"@timestamp":"2025-11-14T03:20:00Z","event":{"kind":"event","category":["process"],"type":["start"]},"process":{"name":"python","command_line":"python train.py"}},
             {"@timestamp":"2025-11-14T03:20:01Z","event":{"kind":"event","category":["process"],"type":["start"]},"process":{"name":"ssh","command_line":"ssh -R 8022:localhost:22 x@203.0.113.9\u2028<b>"}}]
            """;
        var body = JsonSerializer.Serialize(new { yaml = TunnelRule, sample = JsonDocument.Parse(sample).RootElement });

        var response = TestHttp.Read(await _functions.TestAsync(Request("POST", "rules/test", body), CancellationToken.None));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = response.Json;
        Assert.True(json.GetProperty("matched").GetBoolean());
        Assert.Equal((2, 1), (json.GetProperty("events").GetInt32(), json.GetProperty("matchCount").GetInt32()));
        var match = Assert.Single(json.GetProperty("matches").EnumerateArray());
        Assert.Equal(1, match.GetProperty("index").GetInt32());
        Assert.StartsWith("ssh -R 8022", match.GetProperty("fields").GetProperty("process.command_line").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_with_a_string_sample_and_no_match_says_matched_false()
    {
        var line = """{"@timestamp":"2025-11-14T03:20:00Z","event":{"kind":"event","category":["process"],"type":["start"]},"process":{"command_line":"ls"}}""";
        var body = JsonSerializer.Serialize(new { yaml = TunnelRule, sample = line + "\n" + line });

        var response = TestHttp.Read(await _functions.TestAsync(Request("POST", "rules/test", body), CancellationToken.None));

        Assert.False(response.Json.GetProperty("matched").GetBoolean());
        Assert.Equal(2, response.Json.GetProperty("events").GetInt32());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"yaml":"title: x"}""")]
    [InlineData("""["yaml"]""")]
    public async Task Test_with_a_body_that_is_not_the_documented_object_is_400(string body)
    {
        var response = TestHttp.Read(await _functions.TestAsync(Request("POST", "rules/test", body), CancellationToken.None));

        AssertProblem(response, HttpStatusCode.BadRequest, "bad-request");
    }
}
