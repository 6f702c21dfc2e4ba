using Shouldly;

namespace Shadow.Deploy.Tests;

/// <summary>
/// <c>charts/shadow</c> through the real helm (lint, template) and the rendered manifests' security settings. Skipped, saying why,
/// when helm is not installed; .ci/run installs it.
/// </summary>
public sealed class ChartTests
{
    private static List<Dictionary<string, object>> Rendered() => Helm.Template();

    private static void RequireHelm() => Assert.SkipWhen(Helm.Binary is null, Helm.SkipReason);

    [Fact]
    public void Lint_Passes()
    {
        RequireHelm();

        var (code, output, error) = Helm.Run("lint", Helm.Chart, "--strict");

        code.ShouldBe(0, output + error);
        output.ShouldContain("0 chart(s) failed");
    }

    [Fact]
    public void Template_RendersEverythingTheIssueAsksFor()
    {
        RequireHelm();

        var docs = Rendered();

        docs.Select(d => d.Kind()).Distinct().ShouldBe(
            ["Namespace", "ServiceAccount", "ConfigMap", "Role", "RoleBinding", "Service", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"],
            ignoreOrder: true);
        docs.OfKind("Deployment").Select(d => d.Name()).ShouldBe(["rel-shadow-silo", "rel-shadow-gateway"], ignoreOrder: true);
        docs.OfKind("PodDisruptionBudget").Count().ShouldBe(2);
        docs.OfKind("HorizontalPodAutoscaler").Count().ShouldBe(2);
    }

    [Fact]
    public void EveryPod_RunsRestricted_WithResourcesAndProbes()
    {
        RequireHelm();

        foreach (var deployment in Rendered().OfKind("Deployment"))
        {
            var pod = deployment.Map("spec", "template", "spec").ShouldNotBeNull();
            var name = deployment.Name();
            pod.Str("securityContext", "runAsNonRoot").ShouldBe("true", name);
            int.Parse(pod.Str("securityContext", "runAsUser")!, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0, name);
            pod.Str("securityContext", "seccompProfile", "type").ShouldBe("RuntimeDefault", name);
            pod.List("containers").ShouldNotBeEmpty();
            foreach (var container in pod.List("containers"))
            {
                var what = $"{name}/{container.Str("name")}";
                container.Str("securityContext", "allowPrivilegeEscalation").ShouldBe("false", what);
                container.Str("securityContext", "privileged").ShouldBe("false", what);
                container.Str("securityContext", "readOnlyRootFilesystem").ShouldBe("true", what);
                container.Str("securityContext", "runAsNonRoot").ShouldBe("true", what);
                container.List("securityContext", "capabilities", "drop").ShouldBe(["ALL"], what);
                container.List("securityContext", "capabilities", "add").ShouldBeEmpty(what);
                container.Str("securityContext", "seccompProfile", "type").ShouldBe("RuntimeDefault", what);
                foreach (var kind in new[] { "requests", "limits" })
                {
                    container.Str("resources", kind, "cpu").ShouldNotBeNullOrEmpty($"{what} {kind}.cpu");
                    container.Str("resources", kind, "memory").ShouldNotBeNullOrEmpty($"{what} {kind}.memory");
                }

                container.Map("livenessProbe").ShouldNotBeNull($"{what} livenessProbe");
                container.Map("readinessProbe").ShouldNotBeNull($"{what} readinessProbe");
            }
        }
    }

    [Fact]
    public void Rbac_IsNamespaced_WithoutWildcards_AndNoClusterRoleOverPods()
    {
        RequireHelm();
        var docs = Rendered();

        docs.OfKind("ClusterRole").ShouldBeEmpty();
        docs.OfKind("ClusterRoleBinding").ShouldBeEmpty();
        var roles = docs.OfKind("Role").ToList();
        roles.Count.ShouldBe(2);
        foreach (var rule in roles.SelectMany(r => r.List("rules")))
        {
            rule.List("verbs").ShouldNotContain("*");
            rule.List("resources").ShouldNotContain("*");
            rule.List("apiGroups").ShouldNotContain("*");
        }

        // The silos' own namespace: what Orleans Kubernetes hosting needs on pods, nothing that creates or deletes.
        var silo = roles.Single(r => r.Name() == "rel-shadow-silo");
        silo.List("rules").Single().List("verbs").ShouldBe(["get", "list", "watch", "patch"], ignoreOrder: true);

        // The workspace namespace: pods and their token secrets, nothing else.
        var workspaces = roles.Single(r => r.Name() == "rel-shadow-workspaces");
        workspaces.Str("metadata", "namespace").ShouldBe("shadow-workspaces");
        workspaces.List("rules").SelectMany(r => r.List("resources")).ShouldBe(["pods", "secrets"], ignoreOrder: true);
        workspaces.List("rules").Single(r => r.List("resources").Contains("secrets")).List("verbs").ShouldNotContain("list");
        docs.OfKind("RoleBinding").ShouldAllBe(b => b.List("subjects").All(s => s.Str("name") == "rel-shadow-silo"));
    }

    [Fact]
    public void Silos_RollWithoutLosingCapacity_AndGetLongerToStopThanTheirShutdownTimeout()
    {
        RequireHelm();

        foreach (var deployment in Rendered().OfKind("Deployment"))
        {
            deployment.Str("spec", "strategy", "rollingUpdate", "maxUnavailable").ShouldBe("0", deployment.Name());
            var pod = deployment.Map("spec", "template", "spec")!;
            var grace = int.Parse(pod.Str("terminationGracePeriodSeconds")!, System.Globalization.CultureInfo.InvariantCulture);
            var shutdown = pod.List("containers").Single().List("env").Single(e => e.Str("name") == "DOTNET_SHUTDOWNTIMEOUTSECONDS").Str("value");
            grace.ShouldBeGreaterThan(int.Parse(shutdown!, System.Globalization.CultureInfo.InvariantCulture), deployment.Name());
        }
    }

    [Fact]
    public void Silos_CarryOrleansLabels_AndTheDownwardApiEnvironment()
    {
        RequireHelm();
        var silo = Rendered().OfKind("Deployment").Single(d => d.Name() == "rel-shadow-silo");

        silo.Str("spec", "template", "metadata", "labels", "orleans/serviceId").ShouldBe("shadow");
        silo.Str("spec", "template", "metadata", "labels", "orleans/clusterId").ShouldBe("shadow");
        var env = silo.List("spec", "template", "spec", "containers").Single().List("env");
        string? FieldOf(string name) => env.Single(e => e.Str("name") == name).Str("valueFrom", "fieldRef", "fieldPath");
        FieldOf("ORLEANS_SERVICE_ID").ShouldBe("metadata.labels['orleans/serviceId']");
        FieldOf("ORLEANS_CLUSTER_ID").ShouldBe("metadata.labels['orleans/clusterId']");
        FieldOf("POD_NAME").ShouldBe("metadata.name");
        FieldOf("POD_NAMESPACE").ShouldBe("metadata.namespace");
        FieldOf("POD_IP").ShouldBe("status.podIP");
        env.Single(e => e.Str("name") == "Shadow__Storage__ConnectionString").Str("valueFrom", "secretKeyRef", "name").ShouldBe("shadow-postgresql");
    }

    [Fact]
    public void Workspaces_RunInARestrictedNamespace_ReachableOnlyFromTheSilos()
    {
        RequireHelm();
        var docs = Rendered();

        var ns = docs.OfKind("Namespace").Single();
        ns.Name().ShouldBe("shadow-workspaces");
        ns.Str("metadata", "labels", "pod-security.kubernetes.io/enforce").ShouldBe("restricted");

        // The same labels KubernetesPodRuntime puts on every workspace pod (Runtime/Kubernetes/WorkspacePods.cs).
        var policy = docs.OfKind("NetworkPolicy").Single();
        policy.Str("metadata", "namespace").ShouldBe("shadow-workspaces");
        policy.Map("spec", "podSelector", "matchLabels").ShouldBe(new Dictionary<string, object>
        {
            ["app.kubernetes.io/name"] = "shadow-workspace",
            ["app.kubernetes.io/component"] = "workspace",
            ["app.kubernetes.io/part-of"] = "shadow",
            ["app.kubernetes.io/managed-by"] = "shadow",
        });
        policy.List("spec", "policyTypes").ShouldBe(["Ingress"]);
        var from = policy.List("spec", "ingress").Single().List("from").Single();
        from.Str("podSelector", "matchLabels", "app.kubernetes.io/component").ShouldBe("silo");
        from.Str("namespaceSelector", "matchLabels", "kubernetes.io/metadata.name").ShouldBe("shadow");

        // The silos run workspaces on Kubernetes and leave the policy to the chart.
        var config = docs.OfKind("ConfigMap").Single().Map("data")!;
        config["Shadow__Runtime__Kind"].ShouldBe("Kubernetes");
        config["Shadow__Runtime__Kubernetes__Namespace"].ShouldBe("shadow-workspaces");
        config["Shadow__Runtime__Kubernetes__ManageNetworkPolicy"].ShouldBe("false");
        config["Shadow__Runtime__Kubernetes__Image"].ShouldBe("shadow-sidecar:0.1.0");

        // Only the silos get an API token.
        docs.OfKind("ServiceAccount").Single(s => s.Name() == "rel-shadow-gateway").Str("automountServiceAccountToken").ShouldBe("false");
        docs.OfKind("Deployment").Single(d => d.Name() == "rel-shadow-gateway").Str("spec", "template", "spec", "automountServiceAccountToken").ShouldBe("false");
    }

    [Theory]
    [InlineData("terminationGracePeriodSeconds=30", "must be greater than shutdownTimeoutSeconds")]
    [InlineData("runAsUser=0", "/runAsUser")]
    [InlineData("workspaces.memoryLimit=2GB", "/workspaces/memoryLimit")]
    [InlineData("workspaces.namespace=shadow", "must differ from the release namespace")]
    [InlineData("image.pullPolicy=Sometimes", "/image/pullPolicy")]
    [InlineData("agent.baseUrl=ftp://models.example", "/agent/baseUrl")]
    public void Template_BadValues_AreRefusedSayingWhy(string set, string expected)
    {
        RequireHelm();

        var (code, _, error) = Helm.Run("template", "rel", Helm.Chart, "--namespace", "shadow", "--set", set);

        code.ShouldNotBe(0);
        error.ShouldContain(expected);
    }
}
