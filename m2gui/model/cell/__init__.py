"""Qt-free state and rules of the mirror cell views: map, actuators, forces, hardpoints."""
