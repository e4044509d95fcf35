using Catalog.Conventions;
using Catalog.Http;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Model;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace Catalog.Tests.Api;

/// <summary>
/// The rule of Http/WriteSessions.cs, on endpoints the service does not have: a write that may send a message, in each
/// way Wolverine lets an endpoint send one, keeps Wolverine's outboxed session (a message sent outside it would go
/// before the commit, and even when the write rolls back); a write that only writes commits through a plain session.
/// Read in the code Wolverine generates for them in a host of their own, with the service's policy and tenancy.
/// </summary>
public class WriteSessionsRule
{
    [Fact]
    public async Task a_write_that_may_send_keeps_the_outbox_and_one_that_only_writes_does_not()
    {
        var code = await GeneratedCodeFor(typeof(WriteSessionsRule).Assembly);

        Assert.Contains("Catalog.Http.WriteSessions.Open(", code["POST_rule_writes"]);
        Assert.DoesNotContain("OutboxedSessionFactory", code["POST_rule_writes"]);
        Assert.DoesNotContain("FlushOutgoingMessagesAsync", code["POST_rule_writes"]);

        foreach (var sender in new[] { "POST_rule_takes_a_bus", "POST_rule_cascades", "POST_rule_middleware_sends" })
        {
            Assert.True(code[sender].Contains("_outboxedSessionFactory.OpenSession("), $"{sender} lost its outboxed session:\n{code[sender]}");
            Assert.True(code[sender].Contains("FlushOutgoingMessagesAsync"), $"{sender} lost its flush:\n{code[sender]}");
            Assert.DoesNotContain("WriteSessions.Open(", code[sender]);
        }
    }

    /// <summary>Each endpoint's generated handler, by its class name: Wolverine's code generation, no database.</summary>
    private static async Task<Dictionary<string, string>> GeneratedCodeFor(System.Reflection.Assembly endpoints)
    {
        // The first host in a process pins its application assembly for the hosts after it: the service's must not be this one.
        var remembered = JasperFxOptions.RememberedApplicationAssembly;
        try
        {
            return await GeneratedCodeOfAHostFor(endpoints);
        }
        finally
        {
            JasperFxOptions.RememberedApplicationAssembly = remembered;
        }
    }

    private static async Task<Dictionary<string, string>> GeneratedCodeOfAHostFor(System.Reflection.Assembly endpoints)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Services.AddMarten(x => x.Connection("Host=127.0.0.1;Port=1;Database=none")).IntegrateWithWolverine();
        builder.Host.UseWolverine(x =>
        {
            x.ApplicationAssembly = endpoints;
            x.Discovery.DisableConventionalDiscovery();
            x.Policies.AutoApplyTransactions();
        });
        builder.Services.AddWolverineHttp();
        await using var app = builder.Build();
        app.MapWolverineEndpoints(x =>
        {
            x.TenantId.IsClaimTypeNamed(CatalogClaims.AccountId);
            x.Policies.Add(WriteSessions.WithoutAnOutbox);
        });

        var all = new DynamicCodeBuilder(app.Services, app.Services.GetServices<ICodeFileCollection>().ToArray())
        {
            ServiceVariableSource = app.Services.GetService<IServiceVariableSource>()
        }.GenerateAllCode();
        return all.Split("// START: ").Skip(1)
            .Select(x => (Name: x[..x.IndexOf('\n')].Trim(), Text: x))
            .Where(x => x.Name.StartsWith("POST_rule_"))
            .ToDictionary(x => x.Name, x => x.Text);
    }
}

public record RuleDocument(Guid Id);

public record RuleMessage(Guid Id);

/// <summary>Writes a document and sends nothing.</summary>
public static class WritesOnlyEndpoint
{
    [WolverinePost("/rule/writes")]
    public static (RuleDocument, IMartenOp) Post() => Stored(new RuleDocument(Guid.NewGuid()));

    internal static (RuleDocument, IMartenOp) Stored(RuleDocument document) => (document, MartenOps.Store(document));
}

/// <summary>Sends through the message bus it is given.</summary>
public static class TakesABusEndpoint
{
    [WolverinePost("/rule/takes-a-bus")]
    public static async Task<(RuleDocument, IMartenOp)> Post(IMessageBus bus)
    {
        await bus.PublishAsync(new RuleMessage(Guid.NewGuid()));
        return WritesOnlyEndpoint.Stored(new RuleDocument(Guid.NewGuid()));
    }
}

/// <summary>Returns a message beside its answer and its write: Wolverine sends it.</summary>
public static class CascadesEndpoint
{
    [WolverinePost("/rule/cascades")]
    public static (RuleDocument, IMartenOp, RuleMessage) Post()
    {
        var (document, store) = WritesOnlyEndpoint.Stored(new RuleDocument(Guid.NewGuid()));
        return (document, store, new RuleMessage(document.Id));
    }
}

/// <summary>Its middleware returns messages to send.</summary>
public static class MiddlewareSendsEndpoint
{
    public static OutgoingMessages Before() => [new RuleMessage(Guid.NewGuid())];

    [WolverinePost("/rule/middleware-sends")]
    public static (RuleDocument, IMartenOp) Post() => WritesOnlyEndpoint.Stored(new RuleDocument(Guid.NewGuid()));
}
