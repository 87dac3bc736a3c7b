//! The privilege-escalation methods Vigil looks for: the 65 paths catalogued by DataDog's
//! pathfinding.cloud (ids and required permissions follow it), plus
//! `iam:SetDefaultPolicyVersion` (Rhino Security Labs' method 2), which it does not list.
//!
//! Each method is a family (how the attacker gains power) with its parameters; the graph
//! builder in `graph.rs` turns families into edges.

/// How a principal's permissions can be changed by someone holding the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modify {
    AttachUserPolicy,
    PutUserPolicy,
    AttachRolePolicy,
    PutRolePolicy,
    AttachGroupPolicy,
    PutGroupPolicy,
    CreatePolicyVersion,
}

impl Modify {
    pub fn action(self) -> &'static str {
        match self {
            Modify::AttachUserPolicy => "iam:AttachUserPolicy",
            Modify::PutUserPolicy => "iam:PutUserPolicy",
            Modify::AttachRolePolicy => "iam:AttachRolePolicy",
            Modify::PutRolePolicy => "iam:PutRolePolicy",
            Modify::AttachGroupPolicy => "iam:AttachGroupPolicy",
            Modify::PutGroupPolicy => "iam:PutGroupPolicy",
            Modify::CreatePolicyVersion => "iam:CreatePolicyVersion",
        }
    }
    pub const ALL: [Modify; 7] = [
        Modify::AttachUserPolicy,
        Modify::PutUserPolicy,
        Modify::AttachRolePolicy,
        Modify::PutRolePolicy,
        Modify::AttachGroupPolicy,
        Modify::PutGroupPolicy,
        Modify::CreatePolicyVersion,
    ];
}

/// How a principal can obtain another's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Become {
    AssumeRole,
    CreateAccessKey,
    CreateLoginProfile,
    UpdateLoginProfile,
    UpdateAssumeRolePolicy,
}

impl Become {
    pub fn action(self) -> &'static str {
        match self {
            Become::AssumeRole => "sts:AssumeRole",
            Become::CreateAccessKey => "iam:CreateAccessKey",
            Become::CreateLoginProfile => "iam:CreateLoginProfile",
            Become::UpdateLoginProfile => "iam:UpdateLoginProfile",
            Become::UpdateAssumeRolePolicy => "iam:UpdateAssumeRolePolicy",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Change one's own permissions (own user/role, own group, a policy attached to oneself).
    SelfModify(Modify),
    /// Add oneself to a more powerful group.
    AddUserToGroup,
    /// Obtain another principal's credentials.
    BecomeOther(Become),
    /// Change another principal's permissions and then become it.
    ModifyThenBecome(Modify, Become),
    /// Pass a role to a new workload of a service that runs code with it.
    NewPassRole {
        service: &'static str,
        actions: &'static [&'static str],
    },
    /// Take over an existing workload of a service that already runs with a role.
    ExistingWorkload {
        service: &'static str,
        actions: &'static [&'static str],
    },
    /// Switch a policy attached to oneself to another of its versions.
    SetDefaultVersion,
}

#[derive(Debug, Clone, Copy)]
pub struct Method {
    pub id: &'static str,
    pub family: Family,
}

impl Method {
    /// The permissions the method needs, for people.
    pub fn name(&self) -> String {
        match self.family {
            Family::SelfModify(m) => m.action().to_string(),
            Family::AddUserToGroup => "iam:AddUserToGroup".to_string(),
            Family::BecomeOther(b) => b.action().to_string(),
            Family::ModifyThenBecome(m, b) => format!("{} + {}", m.action(), b.action()),
            Family::NewPassRole { actions, .. } => {
                format!("iam:PassRole + {}", actions.join(" + "))
            }
            Family::ExistingWorkload { actions, .. } => actions.join(" + "),
            Family::SetDefaultVersion => "iam:SetDefaultPolicyVersion".to_string(),
        }
    }
}

const EC2: &str = "ec2.amazonaws.com";
const LAMBDA: &str = "lambda.amazonaws.com";
const GLUE: &str = "glue.amazonaws.com";
const CFN: &str = "cloudformation.amazonaws.com";
const CODEBUILD: &str = "codebuild.amazonaws.com";
const SAGEMAKER: &str = "sagemaker.amazonaws.com";
const ECS_TASKS: &str = "ecs-tasks.amazonaws.com";
const APPRUNNER: &str = "tasks.apprunner.amazonaws.com";
const AGENTCORE: &str = "bedrock-agentcore.amazonaws.com";
const DATAPIPELINE: &str = "datapipeline.amazonaws.com";

macro_rules! m {
    ($id:literal, $fam:expr) => {
        Method {
            id: $id,
            family: $fam,
        }
    };
}

use Become as B;
use Family as F;
use Modify as M;

/// Every method, in pathfinding.cloud's id order, then Vigil's additions.
pub const METHODS: &[Method] = &[
    m!(
        "apprunner-001",
        F::NewPassRole {
            service: APPRUNNER,
            actions: &["apprunner:CreateService"]
        }
    ),
    m!(
        "apprunner-002",
        F::ExistingWorkload {
            service: APPRUNNER,
            actions: &["apprunner:UpdateService"]
        }
    ),
    m!(
        "bedrock-001",
        F::NewPassRole {
            service: AGENTCORE,
            actions: &[
                "bedrock-agentcore:CreateCodeInterpreter",
                "bedrock-agentcore:StartCodeInterpreterSession",
                "bedrock-agentcore:InvokeCodeInterpreter"
            ]
        }
    ),
    m!(
        "bedrock-002",
        F::ExistingWorkload {
            service: AGENTCORE,
            actions: &[
                "bedrock-agentcore:StartCodeInterpreterSession",
                "bedrock-agentcore:InvokeCodeInterpreter"
            ]
        }
    ),
    m!(
        "cloudformation-001",
        F::NewPassRole {
            service: CFN,
            actions: &["cloudformation:CreateStack"]
        }
    ),
    m!(
        "cloudformation-002",
        F::ExistingWorkload {
            service: CFN,
            actions: &["cloudformation:UpdateStack"]
        }
    ),
    m!(
        "cloudformation-003",
        F::NewPassRole {
            service: CFN,
            actions: &[
                "cloudformation:CreateStackSet",
                "cloudformation:CreateStackInstances"
            ]
        }
    ),
    m!(
        "cloudformation-004",
        F::NewPassRole {
            service: CFN,
            actions: &["cloudformation:UpdateStackSet"]
        }
    ),
    m!(
        "cloudformation-005",
        F::ExistingWorkload {
            service: CFN,
            actions: &[
                "cloudformation:CreateChangeSet",
                "cloudformation:ExecuteChangeSet"
            ]
        }
    ),
    m!(
        "codebuild-001",
        F::NewPassRole {
            service: CODEBUILD,
            actions: &["codebuild:CreateProject", "codebuild:StartBuild"]
        }
    ),
    m!(
        "codebuild-002",
        F::ExistingWorkload {
            service: CODEBUILD,
            actions: &["codebuild:StartBuild"]
        }
    ),
    m!(
        "codebuild-003",
        F::ExistingWorkload {
            service: CODEBUILD,
            actions: &["codebuild:StartBuildBatch"]
        }
    ),
    m!(
        "codebuild-004",
        F::NewPassRole {
            service: CODEBUILD,
            actions: &["codebuild:CreateProject", "codebuild:StartBuildBatch"]
        }
    ),
    m!(
        "datapipeline-001",
        F::NewPassRole {
            service: DATAPIPELINE,
            actions: &[
                "datapipeline:CreatePipeline",
                "datapipeline:PutPipelineDefinition",
                "datapipeline:ActivatePipeline"
            ]
        }
    ),
    m!(
        "ec2-001",
        F::NewPassRole {
            service: EC2,
            actions: &["ec2:RunInstances"]
        }
    ),
    m!(
        "ec2-002",
        F::ExistingWorkload {
            service: EC2,
            actions: &[
                "ec2:ModifyInstanceAttribute",
                "ec2:StopInstances",
                "ec2:StartInstances"
            ]
        }
    ),
    m!(
        "ec2-003",
        F::NewPassRole {
            service: EC2,
            actions: &["ec2:RequestSpotInstances"]
        }
    ),
    m!(
        "ec2-004",
        F::ExistingWorkload {
            service: EC2,
            actions: &[
                "ec2:CreateLaunchTemplateVersion",
                "ec2:ModifyLaunchTemplate"
            ]
        }
    ),
    m!(
        "ec2instanceconnect-003",
        F::ExistingWorkload {
            service: EC2,
            actions: &[
                "ec2-instance-connect:SendSSHPublicKey",
                "ec2:DescribeInstances"
            ]
        }
    ),
    m!(
        "ecs-001",
        F::NewPassRole {
            service: ECS_TASKS,
            actions: &[
                "ecs:CreateCluster",
                "ecs:RegisterTaskDefinition",
                "ecs:CreateService"
            ]
        }
    ),
    m!(
        "ecs-002",
        F::NewPassRole {
            service: ECS_TASKS,
            actions: &[
                "ecs:CreateCluster",
                "ecs:RegisterTaskDefinition",
                "ecs:RunTask"
            ]
        }
    ),
    m!(
        "ecs-003",
        F::NewPassRole {
            service: ECS_TASKS,
            actions: &["ecs:RegisterTaskDefinition", "ecs:CreateService"]
        }
    ),
    m!(
        "ecs-004",
        F::NewPassRole {
            service: ECS_TASKS,
            actions: &["ecs:RegisterTaskDefinition", "ecs:RunTask"]
        }
    ),
    m!(
        "ecs-005",
        F::NewPassRole {
            service: ECS_TASKS,
            actions: &["ecs:RegisterTaskDefinition", "ecs:StartTask"]
        }
    ),
    m!(
        "glue-001",
        F::NewPassRole {
            service: GLUE,
            actions: &["glue:CreateDevEndpoint"]
        }
    ),
    m!(
        "glue-002",
        F::ExistingWorkload {
            service: GLUE,
            actions: &["glue:UpdateDevEndpoint"]
        }
    ),
    m!(
        "glue-003",
        F::NewPassRole {
            service: GLUE,
            actions: &["glue:CreateJob", "glue:StartJobRun"]
        }
    ),
    m!(
        "glue-004",
        F::NewPassRole {
            service: GLUE,
            actions: &["glue:CreateJob", "glue:CreateTrigger"]
        }
    ),
    m!(
        "glue-005",
        F::NewPassRole {
            service: GLUE,
            actions: &["glue:UpdateJob", "glue:StartJobRun"]
        }
    ),
    m!(
        "glue-006",
        F::NewPassRole {
            service: GLUE,
            actions: &["glue:UpdateJob", "glue:CreateTrigger"]
        }
    ),
    m!("iam-001", F::SelfModify(M::CreatePolicyVersion)),
    m!("iam-002", F::BecomeOther(B::CreateAccessKey)),
    m!("iam-003", F::BecomeOther(B::CreateAccessKey)),
    m!("iam-004", F::BecomeOther(B::CreateLoginProfile)),
    m!("iam-005", F::SelfModify(M::PutRolePolicy)),
    m!("iam-006", F::BecomeOther(B::UpdateLoginProfile)),
    m!("iam-007", F::SelfModify(M::PutUserPolicy)),
    m!("iam-008", F::SelfModify(M::AttachUserPolicy)),
    m!("iam-009", F::SelfModify(M::AttachRolePolicy)),
    m!("iam-010", F::SelfModify(M::AttachGroupPolicy)),
    m!("iam-011", F::SelfModify(M::PutGroupPolicy)),
    m!("iam-012", F::BecomeOther(B::UpdateAssumeRolePolicy)),
    m!("iam-013", F::AddUserToGroup),
    m!(
        "iam-014",
        F::ModifyThenBecome(M::AttachRolePolicy, B::AssumeRole)
    ),
    m!(
        "iam-015",
        F::ModifyThenBecome(M::AttachUserPolicy, B::CreateAccessKey)
    ),
    m!(
        "iam-016",
        F::ModifyThenBecome(M::CreatePolicyVersion, B::AssumeRole)
    ),
    m!(
        "iam-017",
        F::ModifyThenBecome(M::PutRolePolicy, B::AssumeRole)
    ),
    m!(
        "iam-018",
        F::ModifyThenBecome(M::PutUserPolicy, B::CreateAccessKey)
    ),
    m!(
        "iam-019",
        F::ModifyThenBecome(M::AttachRolePolicy, B::UpdateAssumeRolePolicy)
    ),
    m!(
        "iam-020",
        F::ModifyThenBecome(M::CreatePolicyVersion, B::UpdateAssumeRolePolicy)
    ),
    m!(
        "iam-021",
        F::ModifyThenBecome(M::PutRolePolicy, B::UpdateAssumeRolePolicy)
    ),
    m!(
        "lambda-001",
        F::NewPassRole {
            service: LAMBDA,
            actions: &["lambda:CreateFunction", "lambda:InvokeFunction"]
        }
    ),
    m!(
        "lambda-002",
        F::NewPassRole {
            service: LAMBDA,
            actions: &["lambda:CreateFunction", "lambda:CreateEventSourceMapping"]
        }
    ),
    m!(
        "lambda-003",
        F::ExistingWorkload {
            service: LAMBDA,
            actions: &["lambda:UpdateFunctionCode"]
        }
    ),
    m!(
        "lambda-004",
        F::ExistingWorkload {
            service: LAMBDA,
            actions: &["lambda:UpdateFunctionCode", "lambda:InvokeFunction"]
        }
    ),
    m!(
        "lambda-005",
        F::ExistingWorkload {
            service: LAMBDA,
            actions: &["lambda:UpdateFunctionCode", "lambda:AddPermission"]
        }
    ),
    m!(
        "lambda-006",
        F::NewPassRole {
            service: LAMBDA,
            actions: &["lambda:CreateFunction", "lambda:AddPermission"]
        }
    ),
    m!(
        "sagemaker-001",
        F::NewPassRole {
            service: SAGEMAKER,
            actions: &["sagemaker:CreateNotebookInstance"]
        }
    ),
    m!(
        "sagemaker-002",
        F::NewPassRole {
            service: SAGEMAKER,
            actions: &["sagemaker:CreateTrainingJob"]
        }
    ),
    m!(
        "sagemaker-003",
        F::NewPassRole {
            service: SAGEMAKER,
            actions: &["sagemaker:CreateProcessingJob"]
        }
    ),
    m!(
        "sagemaker-004",
        F::ExistingWorkload {
            service: SAGEMAKER,
            actions: &["sagemaker:CreatePresignedNotebookInstanceUrl"]
        }
    ),
    m!(
        "sagemaker-005",
        F::ExistingWorkload {
            service: SAGEMAKER,
            actions: &[
                "sagemaker:CreateNotebookInstanceLifecycleConfig",
                "sagemaker:StopNotebookInstance",
                "sagemaker:UpdateNotebookInstance",
                "sagemaker:StartNotebookInstance"
            ]
        }
    ),
    m!(
        "ssm-001",
        F::ExistingWorkload {
            service: EC2,
            actions: &["ssm:StartSession"]
        }
    ),
    m!(
        "ssm-002",
        F::ExistingWorkload {
            service: EC2,
            actions: &["ssm:SendCommand"]
        }
    ),
    m!("sts-001", F::BecomeOther(B::AssumeRole)),
    m!("vigil-iam-setdefaultpolicyversion", F::SetDefaultVersion),
];

/// The method with this id.
pub fn by_id(id: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.id == id)
}

/// The pathfinding.cloud id for a modify-then-become combination, when it has one.
pub fn combo_id(m: Modify, b: Become) -> &'static str {
    METHODS
        .iter()
        .find(|x| x.family == Family::ModifyThenBecome(m, b))
        .map_or("vigil-iam-modify-then-become", |x| x.id)
}

/// The id for changing one's own permissions with `m`.
pub fn self_id(m: Modify) -> &'static str {
    METHODS
        .iter()
        .find(|x| x.family == Family::SelfModify(m))
        .map_or("vigil-iam-self-modify", |x| x.id)
}

/// The id for becoming another principal with `b` (the first listed).
pub fn become_id(b: Become) -> &'static str {
    METHODS
        .iter()
        .find(|x| x.family == Family::BecomeOther(b))
        .map_or("vigil-iam-become", |x| x.id)
}
