"""Shared dependencies as ``Annotated`` aliases: the course index, the templates and the
practice question generators."""

from typing import Annotated

from fastapi import Depends, Request
from jinja2_fragments.fastapi import Jinja2Blocks

from app.content.index import CourseIndex


def _course(request: Request) -> CourseIndex:
    return request.app.state.course


def _templates(request: Request) -> Jinja2Blocks:
    return request.app.state.templates


Course = Annotated[CourseIndex, Depends(_course)]
Templates = Annotated[Jinja2Blocks, Depends(_templates)]


def _generators(request: Request) -> dict:
    return request.app.state.practice_generators


Generators = Annotated[dict, Depends(_generators)]
