"""The template's parameters, conditions and intrinsics, evaluated against the deployed stack.

The resources moto's CloudFormation skips are created through the API from the template's own
properties; those properties hold ``Ref``, ``Fn::GetAtt`` and conditions that CloudFormation would
have resolved. This resolves the few the embedded AWS needs, as the stack was deployed.
"""

from __future__ import annotations

import re
from typing import Any

from delaydesk_local.stack import ACCOUNT_ID, REGION, DeployedStack, TemplateError


class TemplateValues:
    """Resolves values of ``stack``'s template with the ``parameters`` it was deployed with."""

    def __init__(self, stack: DeployedStack, parameters: dict[str, str]) -> None:
        self.stack = stack
        self.parameters = parameters

    def parameter(self, name: str) -> str:
        """A template parameter as deployed: the value passed, else the template's default."""
        if name in self.parameters:
            return self.parameters[name]
        if name == "Stage":
            return "dev"  # stack.deploy's default
        declared = self.stack.template.get("Parameters", {}).get(name)
        if declared is None:
            raise TemplateError(f"template has no parameter {name}")
        return str(declared.get("Default", ""))

    def holds(self, condition: Any) -> bool:
        """Evaluate a template condition (by name, or a condition function) as deployed."""
        if isinstance(condition, str):
            return self.holds(self.stack.template["Conditions"][condition])
        ((function, args),) = condition.items()
        if function == "Condition":
            return self.holds(args)
        if function == "Fn::Not":
            return not self.holds(args[0])
        if function == "Fn::And":
            return all(self.holds(a) for a in args)
        if function == "Fn::Or":
            return any(self.holds(a) for a in args)
        if function == "Fn::Equals":
            left, right = self.resolve(args)
            return str(left) == str(right)
        raise TemplateError(f"condition function {function} is not supported by the embedded AWS")

    def substitute(self, text: str) -> str:
        """``Fn::Sub``'s string form: ``${Param}``, ``${Resource}``, ``${Resource.Attr}``, ``${AWS::Region}``."""

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            pseudo = {
                "AWS::Region": REGION,
                "AWS::AccountId": ACCOUNT_ID,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
            }
            if name in pseudo:
                return pseudo[name]
            if "." in name:
                return str(self.resolve({"Fn::GetAtt": name.split(".", 1)}))
            return str(self.resolve({"Ref": name}))

        return re.sub(r"\$\{([A-Za-z0-9:.]+)\}", one, text)

    def resolve(self, value: Any) -> Any:
        """Resolve the intrinsics the filled gaps use (Ref of a resource or a parameter, Fn::GetAtt
        of queue names) against the stack."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            if value["Ref"] in self.stack.template.get("Parameters", {}):
                return self.parameter(value["Ref"])
            return self.stack.resources.get(value["Ref"], value["Ref"])
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            return self.substitute(value["Fn::Sub"])
        if set(value) == {"Fn::GetAtt"}:
            logical_id, attribute = value["Fn::GetAtt"]
            physical = self.stack.physical(logical_id)
            if attribute == "QueueName":
                return physical.rsplit("/", 1)[-1]
            if attribute == "Arn" and physical.startswith("https://sqs."):
                return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{physical.rsplit('/', 1)[-1]}"
            if attribute == "Arn" and self.stack.resource_types.get(logical_id) == "AWS::Logs::LogGroup":
                return f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{physical}:*"
            return physical
        return {k: self.resolve(v) for k, v in value.items()}
